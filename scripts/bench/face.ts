import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildAvatarProfile,
  createAvatar,
  FaceLandmarker,
  loadFaceModel,
  loadImage,
} from '../../src/face/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

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
