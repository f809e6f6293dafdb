import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';
import { type LipSyncReport, measureLipSync, VideoPipeline } from '../../src/pipeline/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

const FIXTURES = new URL('../../test/fixtures/', import.meta.url).pathname;
const SIZE = 512;
/** The fixture photo/speech pairs (also test/pipeline/lipsync.test.ts, at 256 px). */
const PAIRS = [
  { photo: 'face/portrait_s42.jpg', speech: 'speech/jfk.wav' },
  { photo: 'face/portrait_happy_256.png', speech: 'speech/lj001_22k.wav' },
  { photo: 'photos/sadtalker_art_2_512.jpg', speech: 'speech/echomimic_en.wav' },
];

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(locateFfmpeg().ffmpegPath, ['-v', 'error', '-y', ...args]);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

const f3 = (v: number) => v.toFixed(3);
const ms = (v: number | null) => (v === null ? '—' : `${v} ms`);

/**
 * Lip sync of the product's output: each pair rendered by VideoPipeline (512², warp-only,
 * seed 1), then measured on the MP4 with the faces tracker (`measureLipSync`).
 */
export const lipsyncBench: Bench = {
  id: 'lipsync',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-lipsync-'));
    const pipeline = await VideoPipeline.load();
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load({ video: true });
    const measure = async (
      photo: string,
      audioPath: string,
      name: string,
    ): Promise<LipSyncReport> => {
      const avatarDir = join(dir, `avatar-${name}`);
      await createAvatar(join(FIXTURES, photo), avatarDir, { model });
      const out = join(dir, `${name}.mp4`);
      await pipeline.render({ avatarDir, audioPath, outPath: out, sizePx: SIZE, seed: 1 });
      return measureLipSync(out, { landmarker, model });
    };
    try {
      const rows: (string | number)[][] = [];
      const reports: LipSyncReport[] = [];
      for (const [i, pair] of PAIRS.entries()) {
        const r = await measure(pair.photo, join(FIXTURES, pair.speech), String(i));
        reports.push(r);
        rows.push([
          `${pair.photo} + ${pair.speech}`,
          r.frames,
          `${f3(r.jawOpen.r)} (best ${f3(r.jawOpen.bestR)} at ${r.jawOpen.bestLagFrames})`,
          `${f3(r.lipGap.r)} (best ${f3(r.lipGap.bestR)} at ${r.lipGap.bestLagFrames})`,
          `${ms(r.speechOnsetMs)} / ${ms(r.mouthOnsetMs)}`,
        ]);
      }
      const delayed = join(dir, 'delayed.wav');
      await ffmpeg([
        '-i',
        join(FIXTURES, 'speech/lj001_22k.wav'),
        '-af',
        'adelay=1200',
        '-t',
        '5',
        delayed,
      ]);
      const onset = await measure('face/portrait_s42.jpg', delayed, 'delayed');
      const mean = (k: 'jawOpen' | 'lipGap') =>
        reports.reduce((s, r) => s + r[k].r, 0) / reports.length;
      return {
        id: 'lipsync',
        title: 'Lip sync of rendered videos (measured on the MP4 with the faces tracker)',
        body: [
          `Machine: ${machineLine()}. Each fixture photo + speech rendered by \`VideoPipeline\` at ${SIZE}² (warp-only, seed 1, models/motion ${pipeline.motion.manifest.version}), then tracked with the faces tracker (Human landmarks → fitted Controls): Pearson r of the mouth against the MP4's own sound (200–4000 Hz energy, dB per 40 ms), both smoothed over 3 frames, at lag 0, and the best r over ±6 frames with its lag (positive: mouth leads). Command: \`npm run bench -- lipsync\`.`,
          '',
          table(
            [
              'pair',
              'frames',
              'tracked jawOpen r (lag 0)',
              'lip-gap r (lag 0)',
              'first speech / first mouth opening',
            ],
            rows,
          ),
          '',
          `Mean r at lag 0: jawOpen ${f3(mean('jawOpen'))}, lip gap ${f3(mean('lipGap'))}. For comparison, the faces issue measured tracked jawOpen on real talking videos at r 0.16–0.83 (mean 0.49; lip gap 0.48) the same way.`,
          '',
          `**Sync of the first mouth motion:** lj001 delayed by 1.2 s of digital silence on portrait_s42: first speech at ${ms(onset.speechOnsetMs)}, first mouth opening at ${ms(onset.mouthOnsetMs)} → offset ${ms(onset.onsetOffsetMs)} (one frame is 40 ms); best jawOpen lag ${onset.jawOpen.bestLagFrames} frames.`,
        ].join('\n'),
      };
    } finally {
      await landmarker.close();
      await pipeline.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
