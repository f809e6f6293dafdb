/**
 * Does tracked jawOpen follow the speech? For each talking video: track it, take the audio's
 * 200–4000 Hz energy envelope (dB, per 40 ms frame, 3-frame moving average) and correlate it
 * with jawOpen at lags −6…+6 frames. Baseline in the same run: the crude lip-gap measure of
 * the fixtures' SOURCES.md (raw landmarks 13/14, 82/87, 312/317 gap over the eye-corner
 * distance 33–263, same smoothing), and jawOpen from the same landmarks tracked without the
 * tracker's mouth pass (`mouthWeight: 0`, the joint fit alone).
 *
 *   node --import tsx scripts/face/jaw-audio.ts [video-or-folder …] [--json]
 *
 * Default input: $FACECAST_FIXTURES/video, else ../shared/fixtures/video.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  FaceLandmarker,
  FaceTracker,
  LANDMARK_COUNT,
  lipSyncCorrelation,
  loadFaceModel,
  speechEnvelopeDb,
  trackVideo,
} from '../../src/face/index.ts';

const { values, positionals } = parseArgs({
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
});
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const inputs = positionals.length > 0 ? positionals : [join(fixtures, 'video')];
const files: string[] = [];
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    for (const f of (await readdir(input)).sort()) {
      if (/\.(mp4|mpg|mov|mkv|webm|avi)$/i.test(f)) files.push(join(input, f));
    }
  } else files.push(input);
}

const percentile = (x: number[], p: number) => {
  const s = [...x].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};

const model = await loadFaceModel();
const landmarker = await FaceLandmarker.load({ video: true, thread: true });
const rows: Record<string, unknown>[] = [];
for (const file of files) {
  const t0 = performance.now();
  const result = await trackVideo(file, { keepLandmarks: true, landmarker, model });
  const ms = performance.now() - t0;
  const n = result.frames.length;
  const jaw = Float64Array.from(result.sequence.frames, (f) =>
    f.faceFound ? f.blendshapes.jawOpen : Number.NaN,
  );
  const lm = result.landmarks as Float32Array;
  const gap = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    const p = (i: number, a: number) => lm[(f * 478 + i) * 3 + a] as number;
    const d = (a: number, b: number) => Math.hypot(p(a, 0) - p(b, 0), p(a, 1) - p(b, 1));
    gap[f] = (d(13, 14) + d(82, 87) + d(312, 317)) / 3 / d(33, 263);
  }
  const joint = jointFitJaw(lm, n, result.video.width, result.video.height);
  const { samples } = await decodeAudioFile(file);
  const energy = speechEnvelopeDb(samples, n);
  // Positive lag: the mouth measure at t is compared with the audio at t + lag.
  const jawStats = lipSyncCorrelation(jaw, energy);
  const gapStats = lipSyncCorrelation(gap, energy);
  const jointStats = lipSyncCorrelation(joint, energy);
  const faced = result.sequence.frames.filter((f) => f.faceFound);
  const jawValues = faced.map((f) => f.blendshapes.jawOpen);
  rows.push({
    file: basename(file),
    frames: n,
    faced: result.facedFrames,
    jaw_r0: jawStats.r0,
    jaw_best: jawStats.best,
    jaw_lag: jawStats.lag,
    joint_r0: jointStats.r0,
    gap_r0: gapStats.r0,
    gap_best: gapStats.best,
    gap_lag: gapStats.lag,
    jaw_p10: percentile(jawValues, 0.1),
    jaw_p50: percentile(jawValues, 0.5),
    jaw_p90: percentile(jawValues, 0.9),
    mouthClose_p90: percentile(
      faced.map((f) => f.blendshapes.mouthClose),
      0.9,
    ),
    mouthPress_p90: percentile(
      faced.map((f) => (f.blendshapes.mouthPressLeft + f.blendshapes.mouthPressRight) / 2),
      0.9,
    ),
    fps: n / (ms / 1000),
  });
  console.error(
    `${basename(file)}: jawOpen r0 ${jawStats.r0.toFixed(3)} (best ${jawStats.best.toFixed(3)} at lag ${jawStats.lag}); without the mouth pass ${jointStats.r0.toFixed(3)}; lip-gap baseline r0 ${gapStats.r0.toFixed(3)}; ${(n / (ms / 1000)).toFixed(1)} frames/s`,
  );
}
await landmarker.close();
if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  const f = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v);
  const keys = Object.keys(rows[0] ?? {});
  console.log(`| ${keys.join(' | ')} |\n| ${keys.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${keys.map((k) => f(row[k])).join(' | ')} |`);
  const mean = (k: string) => rows.reduce((s, r) => s + (r[k] as number), 0) / rows.length;
  console.log(
    `\nmean jawOpen r0 ${mean('jaw_r0').toFixed(3)}, best ${mean('jaw_best').toFixed(3)}; without the mouth pass r0 ${mean('joint_r0').toFixed(3)}; baseline lip gap r0 ${mean('gap_r0').toFixed(3)}, best ${mean('gap_best').toFixed(3)}`,
  );
}

/** jawOpen per frame from `landmarks` (frames × 478 × 3, NaN = no face) by the joint fit alone. */
function jointFitJaw(landmarks: Float32Array, frames: number, width: number, height: number) {
  const tracker = new FaceTracker(model, {
    frameWidth: width,
    frameHeight: height,
    mouthWeight: 0,
  });
  const stride = LANDMARK_COUNT * 3;
  const out = [];
  for (let f = 0; f < frames; f++) {
    const points = landmarks.subarray(f * stride, (f + 1) * stride);
    const landmarksOrNone = Number.isNaN(points[0]) ? undefined : points;
    out.push(...tracker.process({ frameIndex: f, landmarks: landmarksOrNone }));
  }
  out.push(...tracker.flush());
  return Float64Array.from(out, (t) =>
    t.controls.faceFound ? t.controls.blendshapes.jawOpen : Number.NaN,
  );
}
