import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  buildAvatarProfile,
  createAvatar,
  FaceFitter,
  FaceLandmarker,
  FaceTracker,
  loadFaceModel,
  loadImage,
} from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const load = () => `load average ${loadavg()[0]?.toFixed(1)} (2 cores shared with other work)`;

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
        rows.push([
          `${path.split('/').pop()} (${size})`,
          totalMs.toFixed(0),
          detectMs.toFixed(0),
          fitMs.toFixed(0),
          (totalMs / detectMs).toFixed(2),
          totalMs <= 1000 ? 'yes' : 'no',
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
        `Machine: ${machineLine()}; ${load()}. Median of 5 runs after warm-up; model load (once per process, not counted): ${loadMs.toFixed(0)} ms. Baseline: Human's detection alone (face box, 478 landmarks, iris, body keypoints) on the same image. Command: \`npm run bench -- avatar\`.`,
        '',
        table(
          [
            'photo',
            'photo → profile ms',
            'detect ms (baseline)',
            'fit ms (pose, shape, 52 weights, gaze)',
            '× baseline',
            '≤ 1 s',
          ],
          rows,
        ),
        '',
        'Photo → profile = decode + normalise the image, detect, fit twice (shape, then with the irises), write profile.json and image.png. Target: ≤ 1 s after model load.',
      ].join('\n'),
    };
  },
};

/** Tracking speed on 512² frames; baselines: decoding alone and detection alone. */
export const trackBench: Bench = {
  id: 'track',
  async run() {
    const katie = join(fixtures, 'video', 'video_sadtalker_WDA_KatieHill_000.mp4');
    const source = existsSync(katie) ? katie : 'test/fixtures/face/grid_bbaf2n.mpg';
    const frames: { width: number; height: number; data: Uint8Array }[] = [];
    const t0 = performance.now();
    for await (const f of await openVideoFrames(source, { fps: 25, maxSize: 512 })) {
      frames.push({ width: f.width, height: f.height, data: f.rgb });
      if (frames.length >= 100) break;
    }
    const decodeMs = performance.now() - t0;
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load({ video: true });
    const landmarks: (Float32Array | undefined)[] = [];
    let detectMs = 0;
    try {
      await landmarker.detect(frames[0] as (typeof frames)[0], { body: true });
      const t1 = performance.now();
      for (const [i, frame] of frames.entries()) {
        const d = await landmarker.detect(frame, { body: i % 5 === 0 });
        landmarks.push(d.faces[0]?.landmarks);
      }
      detectMs = performance.now() - t1;
    } finally {
      await landmarker.close();
    }
    const fitter = new FaceFitter(model);
    const t2 = performance.now();
    let previous: ReturnType<FaceFitter['fit']> | undefined;
    for (const l of landmarks) {
      if (!l) continue;
      previous = fitter.fit(l, {
        initialPose: previous?.pose,
        initialWeights: previous?.weights,
        iterations: 6,
      });
    }
    const fitOnlyMs = performance.now() - t2;
    const tracker = new FaceTracker(model, {
      frameWidth: frames[0]?.width ?? 512,
      frameHeight: frames[0]?.height ?? 512,
    });
    const t3 = performance.now();
    for (const [i, l] of landmarks.entries()) tracker.process({ frameIndex: i, landmarks: l });
    tracker.flush();
    const trackerMs = performance.now() - t3;
    const n = frames.length;
    const fps = (ms: number) => ((n * 1000) / ms).toFixed(1);
    const totalMs = decodeMs + detectMs + trackerMs;
    const size = `${frames[0]?.width}×${frames[0]?.height}`;
    return {
      id: 'track',
      title: 'Tracking a video (`facecast track`)',
      body: [
        `Machine: ${machineLine()}; ${load()}. Input: the first ${n} frames of ${source.split('/').pop()} at 25 fps, ${size}. Command: \`npm run bench -- track\`.`,
        '',
        table(
          ['stage', 'ms per frame', 'frames/s', 'share of tracking time'],
          [
            [
              'decode (ffmpeg → RGB, baseline)',
              (decodeMs / n).toFixed(1),
              fps(decodeMs),
              `${((decodeMs / totalMs) * 100).toFixed(0)} %`,
            ],
            [
              'detect: Human face + iris (+ body every 5th frame)',
              (detectMs / n).toFixed(1),
              fps(detectMs),
              `${((detectMs / totalMs) * 100).toFixed(0)} %`,
            ],
            ['fit only (warm-started, 6 steps)', (fitOnlyMs / n).toFixed(1), fps(fitOnlyMs), '—'],
            [
              'tracker core (calibration + fit + gaze + smoothing)',
              (trackerMs / n).toFixed(1),
              fps(trackerMs),
              `${((trackerMs / totalMs) * 100).toFixed(0)} %`,
            ],
            ['**track, end to end**', (totalMs / n).toFixed(1), `**${fps(totalMs)}**`, '100 %'],
          ],
        ),
        '',
        `End to end ${(totalMs / n / (decodeMs / n)).toFixed(1)}× the cost of decoding alone; ${((detectMs / totalMs) * 100).toFixed(0)} % of the time is Human's detection (WASM, one thread). ${(n * 40) / 1000} s of video took ${(totalMs / 1000).toFixed(1)} s (${((n * 40) / totalMs).toFixed(2)}× real time).`,
      ].join('\n'),
    };
  },
};
