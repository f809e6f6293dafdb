import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { fixture, tempDir } from '../../test/helpers/media.ts';
import { type Bench, machineLine, table } from './harness.ts';

/**
 * Does a half-body photo's torso move like a real speaker's? A held-out half-body photo
 * (test/fixtures/heldout: the TANGO test speaker, frame at 2 s) speaks its own held-out
 * voice through the product's path (`VideoPipeline.render`, 384 px), with the body model and
 * torso pass, and without (`body: false`: the shoulders only breathe); the real clip of the
 * same speaker is measured the same way. Measure: MoveNet (the landmarker's body detector,
 * every frame) shoulder midpoint, SD of its x over the video as a percentage of the frame
 * width, and the same for y; plus the render time of both arms (the torso pass's cost).
 */
const PHOTO = 'heldout/photos/tango_female_halfbody.jpg';
const VOICE = 'heldout/voices/tango_en_f.wav';
const REAL = 'heldout/clips/tango_female_384.mp4';
const SEEDS = [1, 2, 3];
const MIN_SCORE = 0.3;

export const torsoBench: Bench = {
  id: 'torso',
  async run() {
    const landmarker = await FaceLandmarker.load({ body: true });
    const { dir, cleanup } = await tempDir('facecast-torso-bench-');
    const withBody = await VideoPipeline.load({ generator: 'off' });
    const without = await VideoPipeline.load({ generator: 'off', body: false });
    const rows: (string | number)[][] = [];
    try {
      const model = await loadFaceModel();
      const avatar = join(dir, 'avatar');
      await createAvatar(fixture(PHOTO), avatar, { landmarker, model });
      const real = await shoulderSway(landmarker, fixture(REAL));
      rows.push(['real clip (same speaker)', '–', pct(real.x), pct(real.y), `${real.frames}`, '–']);
      for (const [name, pipeline] of [
        ['body model + torso pass', withBody],
        ['no body (breathing only)', without],
      ] as const) {
        for (const seed of SEEDS) {
          const out = join(dir, `out-${seed}-${name.length}.mp4`);
          const t = performance.now();
          const r = await pipeline.render({
            avatarDir: avatar,
            audioPath: fixture(VOICE),
            outPath: out,
            sizePx: 384,
            seed,
          });
          const seconds = (performance.now() - t) / 1000;
          const sway = await shoulderSway(landmarker, out);
          rows.push([
            name,
            seed,
            pct(sway.x),
            pct(sway.y),
            `${sway.frames}`,
            `${(r.durationMs / 1000 / seconds).toFixed(2)}×`,
          ]);
        }
      }
    } finally {
      await withBody.close();
      await without.close();
      landmarker.close();
      await cleanup();
    }
    return {
      id: 'torso',
      title: 'Torso motion of a half-body photo (held-out)',
      body: [
        `Machine: ${machineLine()}; load ${loadLine()}. Photo \`test/fixtures/${PHOTO}\`, voice \`test/fixtures/${VOICE}\` (both held out), 384 px, warp-only; real: \`test/fixtures/${REAL}\`. Shoulder midpoint from MoveNet on every output frame (both shoulders scored ≥ ${MIN_SCORE}); SD over the video in % of the frame width (x) and height (y). Real speakers in train-body: x SD 0.2–1.5 % (median 0.55 %). Speed: output seconds per wall second (× real time) of the whole render, both arms in the same run. Command: \`npm run bench -- torso\`.`,
        '',
        table(
          ['video', 'seed', 'shoulder x SD', 'shoulder y SD', 'frames measured', 'speed'],
          rows,
        ),
      ].join('\n'),
    };
  },
};

/** SD of the shoulder midpoint (fractions of the frame) over a video's frames. */
async function shoulderSway(landmarker: FaceLandmarker, path: string) {
  const xs: number[] = [];
  const ys: number[] = [];
  const video = await openVideoFrames(path, { fps: 25, maxSize: 384 });
  for await (const frame of video) {
    const d = await landmarker.detect(
      { width: frame.width, height: frame.height, data: frame.rgb },
      { body: true, face: false },
    );
    const k = (name: string) =>
      d.body?.keypoints.find((p) => p.name === name && p.score >= MIN_SCORE);
    const l = k('leftShoulder');
    const r = k('rightShoulder');
    if (!l || !r) continue;
    xs.push((l.x + r.x) / 2 / frame.width);
    ys.push((l.y + r.y) / 2 / frame.height);
  }
  return { x: sd(xs), y: sd(ys), frames: xs.length };
}

function sd(v: number[]): number {
  if (v.length < 2) return Number.NaN;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)} %`;
}

function loadLine(): string {
  return loadavg()[0]?.toFixed(1) ?? '?';
}
