import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  buildAvatarProfile,
  createAvatar,
  FaceLandmarker,
  loadFaceModel,
  loadImage,
  trackVideo,
} from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { humanFaces, loadHumanFaces } from '../face/human-reference.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const load = () => `load average ${loadavg()[0]?.toFixed(1)} (2 cores shared with other work)`;

/** CPU ms (this process) and wall ms of `fn`. */
async function measure<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const cpu = process.cpuUsage(cpu0);
  return { value, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Photo → avatar profile, after model load; baseline: Human's detection alone. */
export const avatarBench: Bench = {
  id: 'avatar',
  async run() {
    const model = await loadFaceModel();
    const t0 = performance.now();
    const landmarker = await FaceLandmarker.load();
    const loadMs = performance.now() - t0;
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-'));
    const photos = [
      ['test/fixtures/face/portrait_happy_256.png', '256×256'],
      ['test/fixtures/face/portrait_s42.jpg', '512×512'],
      ['test/fixtures/face/group_3faces.jpg', '1024×1143, 3 faces'],
    ] as const;
    const rows: (string | number)[][] = [];
    try {
      for (const [path, size] of photos) {
        const image = await loadImage(path);
        const detectMs = await timeMedian(() => landmarker.detect(image), 5, 2);
        const detection = await landmarker.detect(image);
        const fitMs = await timeMedian(() => buildAvatarProfile(model, image, detection), 5, 2);
        const totalMs = await timeMedian(
          () => createAvatar(path, join(dir, 'a'), { landmarker, model }),
          5,
          1,
        );
        const cpu = await measure(() => createAvatar(path, join(dir, 'a'), { landmarker, model }));
        rows.push([
          `${path.split('/').pop()} (${size})`,
          totalMs.toFixed(0),
          cpu.cpuMs.toFixed(0),
          detectMs.toFixed(0),
          fitMs.toFixed(0),
          (totalMs / detectMs).toFixed(2),
          totalMs <= 300 ? 'yes' : 'no',
        ]);
      }
    } finally {
      await landmarker.close();
      await rm(dir, { recursive: true, force: true });
    }
    return {
      id: 'avatar',
      title: 'Photo → avatar profile (`facecast avatar create`)',
      body: [
        `Machine: ${machineLine()}; ${load()}. Median of 5 runs after warm-up; model load (once per process, not counted): ${loadMs.toFixed(0)} ms. Baseline: detection alone (face box, 478 landmarks and iris on onnxruntime, body keypoints from Human's MoveNet on tfjs-wasm) on the same image. Command: \`npm run bench -- avatar\`.`,
        '',
        table(
          [
            'photo',
            'photo → profile ms',
            'its CPU ms (one run)',
            'detect ms (baseline)',
            'fit ms (pose, shape, 52 weights, gaze)',
            '× baseline',
            '≤ 300 ms',
          ],
          rows,
        ),
        '',
        'Photo → profile = decode + normalise the image, detect, fit twice (shape, then with the irises), write profile.json and image.png. Target: ≤ 300 ms after model load (issue 16).',
      ].join('\n'),
    };
  },
};

type Frame = { width: number; height: number; data: Uint8Array };

/** Per-frame cost of a landmark source over `frames` (after one warm-up call). */
async function perFrame(frames: Frame[], detect: (f: Frame) => Promise<unknown>) {
  await detect(frames[0] as Frame);
  const m = await measure(async () => {
    for (const f of frames) await detect(f);
  });
  return { wallMs: m.wallMs / frames.length, cpuMs: m.cpuMs / frames.length };
}

/**
 * Tracking at 512²: the ONNX landmarker (tracked from the previous mesh) against Human's face
 * models (tfjs-wasm, as facecast ran them) on the same frames; `trackVideo` end to end with and
 * without the body model; the CLI on the 8 s clip including start-up.
 */
export const trackBench: Bench = {
  id: 'track',
  async run() {
    const katie = join(fixtures, 'video', 'video_sadtalker_WDA_KatieHill_000.mp4');
    const source = existsSync(katie) ? katie : 'test/fixtures/face/grid_bbaf2n.mpg';
    const frames: Frame[] = [];
    // decoded to the end: leaving early kills ffmpeg, whose late stream error would reach
    // tfjs-wasm's process-wide unhandledRejection handler once Human is loaded
    for await (const f of await openVideoFrames(source, { fps: 25, maxSize: 512 })) {
      if (frames.length < 100) frames.push({ width: f.width, height: f.height, data: f.rgb });
    }
    const loadBefore = loadavg()[0]?.toFixed(1);
    const human = await loadHumanFaces(true);
    const humanCost = await perFrame(frames, (f) => humanFaces(human, f));
    const onnx = await FaceLandmarker.load({ video: true, body: false });
    const onnxCost = await perFrame(frames, (f) => onnx.detect(f));
    const stats = onnx.toJSON();
    await onnx.close();
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load({ video: true });
    const runs: [string, number][] = [
      ['trackVideo, face only (bodyEvery 0)', 0],
      ['trackVideo, body every 5th frame (default)', 5],
    ];
    const ends: { wallMs: number; cpuMs: number; frames: number }[] = [];
    try {
      for (const [, bodyEvery] of runs) {
        const m = await measure(() => trackVideo(source, { landmarker, model, bodyEvery }));
        ends.push({ wallMs: m.wallMs, cpuMs: m.cpuMs, frames: m.value.frames.length });
      }
    } finally {
      await landmarker.close();
    }
    const out = join(await mkdtemp(join(tmpdir(), 'facecast-bench-')), 'k.csv');
    const t0 = performance.now();
    execFileSync(process.execPath, ['bin/facecast', 'track', source, '--out', out]);
    const cliMs = performance.now() - t0;
    await rm(dirname(out), { recursive: true, force: true });
    const durationS = (ends[0]?.frames ?? 0) / 25;
    const fps = (ms: number) => (1000 / ms).toFixed(1);
    const rows: (string | number)[][] = [
      [
        "Human's face models, tfjs-wasm (baseline)",
        humanCost.wallMs.toFixed(1),
        fps(humanCost.wallMs),
        humanCost.cpuMs.toFixed(1),
        fps(humanCost.cpuMs),
        '1.0×',
      ],
      [
        'ONNX landmarker, tracked (this change)',
        onnxCost.wallMs.toFixed(1),
        `**${fps(onnxCost.wallMs)}**`,
        onnxCost.cpuMs.toFixed(1),
        fps(onnxCost.cpuMs),
        `${(humanCost.cpuMs / onnxCost.cpuMs).toFixed(1)}×`,
      ],
      ...runs.map(([name], i) => {
        const e = ends[i] as { wallMs: number; cpuMs: number; frames: number };
        return [
          `${name}: decode + landmarks + fit`,
          (e.wallMs / e.frames).toFixed(1),
          `**${fps(e.wallMs / e.frames)}**`,
          (e.cpuMs / e.frames).toFixed(1),
          fps(e.cpuMs / e.frames),
          '—',
        ];
      }),
    ];
    return {
      id: 'track',
      title: 'Tracking a video (`facecast track`)',
      body: [
        `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadavg()[0]?.toFixed(1)} after (2 cores shared with other work: wall times stretch with the load, CPU times much less). Input: ${source.split('/').pop()} at 25 fps, ${frames[0]?.width}×${frames[0]?.height}; landmark rows: its first ${frames.length} frames, after one warm-up call. Command: \`npm run bench -- track\`.`,
        '',
        table(
          [
            'landmarks / stage',
            'wall ms per frame',
            'frames/s (wall)',
            'CPU ms per frame (this process)',
            'frames/s per CPU core',
            'CPU vs baseline',
          ],
          rows,
        ),
        '',
        `ONNX landmarker: detector on ${stats.detectorRuns} of ${stats.frames} calls (first frame, then every 10th; no cut, no loss), face mesh + iris on every frame. \`trackVideo\` overlaps frame k's landmarks (onnxruntime's thread) with frame k − 1's fit (main thread) and ffmpeg's decoding (own process, not in the CPU column). The body model is still Human's MoveNet on tfjs-wasm (~100 ms CPU a call).`,
        '',
        `CLI: \`node bin/facecast track ${source.split('/').pop()} --out k.csv\` (${durationS.toFixed(0)} s of video), start-up, model loads and writing included: **${(cliMs / 1000).toFixed(1)} s, ${((durationS * 1000) / cliMs).toFixed(2)}× real time**.`,
      ].join('\n'),
    };
  },
};
