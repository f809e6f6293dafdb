import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudioFile, openAudio } from '../../src/audio/index.ts';
import type { ControlsFrame } from '../../src/controls/index.ts';
import { locateFfmpeg, Mp4Writer } from '../../src/media/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { createRenderer } from '../../src/render/index.ts';
import { type Bench, childCpuMs, machineLine, table } from './harness.ts';

const AVATAR = 'test/fixtures/avatars/s42';
const SPEECH = 'test/fixtures/speech/jfk.wav';
const SIZE = 512;

async function ffmpeg(args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(locateFfmpeg().ffmpegPath, ['-v', 'error', '-y', ...args]);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

/** `seconds` of real speech: jfk.wav looped. */
async function longSpeech(dir: string, seconds: number): Promise<string> {
  const path = join(dir, `speech-${seconds}s.wav`);
  await ffmpeg([
    '-stream_loop',
    '-1',
    '-i',
    SPEECH,
    '-t',
    String(seconds),
    '-c:a',
    'pcm_s16le',
    path,
  ]);
  return path;
}

const load = () => loadavg()[0]?.toFixed(1) ?? '?';

/** Wall time on two idle cores, estimated from CPU time: Node's thread(s) ‖ ffmpeg. */
const idleMs = (r: { nodeCpuMs: number; childCpuMs: number }) =>
  Math.max(r.nodeCpuMs, (r.nodeCpuMs + r.childCpuMs) / 2);
const x = (mediaMs: number, wallMs: number) => `${(mediaMs / wallMs).toFixed(2)}×`;

/**
 * End to end: audio file → MP4 at 512², warp-only, through VideoPipeline.render (the code the
 * CLI and the jobs run), plus each stage alone on the same input for the breakdown.
 */
export const videoBench: Bench = {
  id: 'video',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-'));
    try {
      const audio = await longSpeech(dir, 60);
      const audioMs = (await decodeAudioFile(audio)).durationMs;
      const pipeline = await VideoPipeline.load();
      const loadBefore = load();
      type Run = {
        wallMs: number;
        nodeCpuMs: number;
        childCpuMs: number;
        timings: Record<string, number>;
      };
      const runs = new Map<number, Run[]>([
        [0, []],
        [2, []],
      ]);
      for (let i = 0; i < 3; i++) {
        for (const threads of runs.keys()) {
          const cpu = process.cpuUsage();
          const children = childCpuMs();
          const t = performance.now();
          const result = await pipeline.render(
            {
              avatarDir: AVATAR,
              audioPath: audio,
              outPath: join(dir, `e2e-${threads}-${i}.mp4`),
              sizePx: SIZE,
            },
            { renderThreads: threads },
          );
          const used = process.cpuUsage(cpu);
          runs.get(threads)?.push({
            wallMs: performance.now() - t,
            nodeCpuMs: (used.user + used.system) / 1000,
            childCpuMs: childCpuMs() - children,
            timings: result.timingsMs,
          });
        }
      }
      const medianOf = (list: Run[]) => [...list].sort((a, b) => a.wallMs - b.wallMs)[1] as Run;
      const median = medianOf(runs.get(0) as Run[]);

      // Each stage alone.
      let t = performance.now();
      const chunks: Float32Array[] = [];
      for await (const chunk of await openAudio(audio)) chunks.push(chunk);
      const decodeMs = performance.now() - t;
      t = performance.now();
      const stream = pipeline.motion.createStream({ seed: 0 });
      const frames: ControlsFrame[] = [];
      for (const chunk of chunks) frames.push(...(await stream.process({ pcm: chunk })).frames);
      frames.push(...(await stream.flush()).frames);
      stream.close();
      const motionMs = performance.now() - t;
      const renderer = await createRenderer(AVATAR, { size: SIZE });
      const rendered: Uint8Array[] = [];
      t = performance.now();
      for (const [i, frame] of frames.entries()) {
        const { composite } = renderer.render(frame);
        if (i < 100) rendered.push(Uint8Array.from(composite.data));
      }
      const renderMs = performance.now() - t;
      renderer.close();
      const writer = await Mp4Writer.open(join(dir, 'encode.mp4'), {
        width: SIZE,
        height: SIZE,
        audioPath: audio,
      });
      t = performance.now();
      for (let i = 0; i < frames.length; i++)
        await writer.writeFrame(rendered[i % rendered.length] as Uint8Array);
      await writer.finish();
      const encodeMs = performance.now() - t;
      await pipeline.close();
      const loadAfter = load();

      const perMin = (ms: number) => ((ms * 60_000) / audioMs).toFixed(0);
      const stageRow = (name: string, ms: number, inPipelineMs: number | undefined) => [
        name,
        perMin(ms),
        x(audioMs, ms),
        inPipelineMs === undefined ? '—' : perMin(inPipelineMs),
      ];
      return {
        id: 'video',
        title: 'Offline MP4, warp-only, 512×512 (end to end)',
        body: [
          `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (the machine is shared by several engineers: the other processes compete for the same 2 cores). Input: 60 s of real speech (jfk.wav looped), avatar test/fixtures/avatars/s42, shipped motion model, warp-only renderer, H.264 (x264 veryfast, CRF 18) + AAC. Command: \`npm run bench -- video\`.`,
          '',
          `**End to end (default: rendering on the main thread): ${x(audioMs, median.wallMs)} real time** on this shared machine (median of 3 runs: ${(runs.get(0) as Run[]).map((r) => (r.wallMs / 1000).toFixed(1)).join(' / ')} s for ${(audioMs / 1000).toFixed(0)} s of video, ${frames.length} frames → ${((frames.length * 1000) / median.wallMs).toFixed(0)} frames/s). Target ≥ 4×.`,
          '',
          `CPU time of that run: Node ${(median.nodeCpuMs / 1000).toFixed(1)} s, ffmpeg ${(median.childCpuMs / 1000).toFixed(1)} s. Node (motion + render) and ffmpeg (decode, x264, AAC) run in parallel, so on two otherwise idle cores the wall time would be about max(Node, (Node + ffmpeg) / 2) = ${(idleMs(median) / 1000).toFixed(1)} s, i.e. **≈ ${x(audioMs, idleMs(median))} real time — an estimate from CPU time, not a measurement** (this machine was never idle).`,
          '',
          table(
            [
              'render threads',
              'wall (median of 3)',
              '× real time (shared machine)',
              'CPU Node + ffmpeg',
              'idle 2-core estimate',
            ],
            [...runs.entries()].map(([threads, list]) => {
              const m = medianOf(list);
              return [
                threads === 0 ? '0 (main thread, default)' : `${threads} worker threads`,
                `${(m.wallMs / 1000).toFixed(1)} s`,
                x(audioMs, m.wallMs),
                `${(m.nodeCpuMs / 1000).toFixed(1)} + ${(m.childCpuMs / 1000).toFixed(1)} s`,
                x(audioMs, idleMs(m)),
              ];
            }),
          ),
          '',
          table(
            [
              'stage',
              'alone: ms per 60 s',
              'alone: × real time',
              'inside the pipeline run: ms per 60 s',
            ],
            [
              stageRow('decode (ffmpeg → 16 kHz f32)', decodeMs, median.timings.decode),
              stageRow('mel + motion model (streaming)', motionMs, median.timings.motion),
              stageRow('render warp-only composite', renderMs, median.timings.render),
              stageRow('encode H.264 + mux AAC (ffmpeg process)', encodeMs, median.timings.encode),
              [
                '**total wall time**',
                perMin(median.wallMs),
                x(audioMs, median.wallMs),
                perMin(median.timings.total ?? 0),
              ],
            ],
          ),
          '',
          'The pipeline streams: ffmpeg decodes and encodes in its own processes while Node runs the motion model and the renderer, so stages overlap. "Inside the pipeline" is the time Node waited on each stage (for encode: back-pressure from x264 plus the final mux); "alone" runs each stage by itself on the same 60 s.',
        ].join('\n'),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Peak memory of a `facecast render` process (and its ffmpeg children) over its whole run. */
async function peakRss(
  args: string[],
): Promise<{ nodeMiB: number; totalMiB: number; wallMs: number }> {
  const child = spawn(process.execPath, ['bin/facecast', 'render', ...args, '--json'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const t = performance.now();
  let nodeKb = 0;
  let totalKb = 0;
  const readKb = async (pid: number, field: string) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  };
  const children = async (pid: number): Promise<number[]> => {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    return text.split(/\s+/).filter(Boolean).map(Number);
  };
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!done && child.pid) {
    nodeKb = Math.max(nodeKb, await readKb(child.pid, 'VmHWM'));
    let sum = await readKb(child.pid, 'VmRSS');
    for (const pid of await children(child.pid)) sum += await readKb(pid, 'VmRSS');
    totalKb = Math.max(totalKb, sum);
    await new Promise((r) => setTimeout(r, 200));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`facecast render exited ${code}`);
  return { nodeMiB: nodeKb / 1024, totalMiB: totalKb / 1024, wallMs: performance.now() - t };
}

/** Peak RSS for 1 and 10 minutes of speech: frames stream, so memory must not grow with length. */
export const videoMemoryBench: Bench = {
  id: 'video-memory',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-'));
    try {
      const rows: (string | number)[][] = [];
      for (const seconds of [60, 600]) {
        const audio = await longSpeech(dir, seconds);
        const r = await peakRss([
          '--image',
          AVATAR,
          '--audio',
          audio,
          '--out',
          join(dir, `${seconds}.mp4`),
          '--size',
          String(SIZE),
        ]);
        rows.push([
          `${seconds / 60} min`,
          r.nodeMiB.toFixed(0),
          r.totalMiB.toFixed(0),
          (r.wallMs / 1000).toFixed(0),
          x(seconds * 1000, r.wallMs),
        ]);
      }
      return {
        id: 'video-memory',
        title: 'Peak memory of one render (512×512, warp-only)',
        body: [
          `Machine: ${machineLine()}; load average ${load()} at the end. \`facecast render --image ${AVATAR} --audio <jfk.wav looped> --size 512\` as a child process; /proc sampled every 200 ms: the Node process's VmHWM (its peak resident set), and the largest sum of Node's and its ffmpeg children's resident sets. Command: \`npm run bench -- video-memory\`.`,
          '',
          table(
            [
              'speech',
              'Node peak RSS (MiB)',
              'Node + ffmpeg peak (MiB)',
              'wall (s)',
              '× real time',
            ],
            rows,
          ),
          '',
          'Target: ≤ 1.5 GB for 10 minutes. Frames stream from the renderer into a 3-frame encoder queue and nothing is kept per frame, so the peak does not grow with the length of the speech.',
        ].join('\n'),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
