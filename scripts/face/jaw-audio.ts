/**
 * Does tracked jawOpen follow the speech? For each talking video: track it, take the audio's
 * 200–4000 Hz energy envelope (dB, per 40 ms frame, 3-frame moving average) and correlate it
 * with jawOpen at lags −6…+6 frames. Baseline in the same run: the crude lip-gap measure of
 * the fixtures' SOURCES.md (raw landmarks 13/14, 82/87, 312/317 gap over the eye-corner
 * distance 33–263, same smoothing).
 *
 *   node --import tsx scripts/face/jaw-audio.ts [video-or-folder …] [--json]
 *
 * Default input: $FACECAST_FIXTURES/video, else ../shared/fixtures/video.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { FaceLandmarker, loadFaceModel, trackVideo } from '../../src/face/index.ts';
import { computeLogMel, hzToMel, MEL_CONFIG, melToHz } from '../../src/features/index.ts';

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

/** 200–4000 Hz band energy in dB per 40 ms video frame, from the project's own log-mel. */
async function energyEnvelope(path: string, frames: number): Promise<Float64Array> {
  const { samples } = await decodeAudioFile(path);
  const mel = computeLogMel(samples);
  const lo = hzToMel(MEL_CONFIG.fMinHz);
  const hi = hzToMel(MEL_CONFIG.fMaxHz);
  const bands: number[] = [];
  for (let b = 0; b < MEL_CONFIG.bands; b++) {
    const centre = melToHz(lo + ((b + 1) * (hi - lo)) / (MEL_CONFIG.bands + 1));
    if (centre >= 200 && centre <= 4000) bands.push(b);
  }
  const out = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let power = 0;
    let count = 0;
    for (let h = f * 4; h < f * 4 + 4 && h < mel.frames; h++) {
      for (const b of bands) power += Math.exp(mel.data[h * MEL_CONFIG.bands + b] as number);
      count++;
    }
    out[f] = 10 * Math.log10(Math.max(power / Math.max(count, 1), 1e-10));
  }
  return out;
}

const smooth3 = (x: Float64Array) =>
  x.map((_, i) => {
    let s = 0;
    let n = 0;
    for (let j = i - 1; j <= i + 1; j++) {
      if (j >= 0 && j < x.length && Number.isFinite(x[j] as number)) {
        s += x[j] as number;
        n++;
      }
    }
    return n ? s / n : Number.NaN;
  });

/** Pearson r of x[t] and y[t + lag] over the frames where both are finite. */
function correlation(x: Float64Array, y: Float64Array, lag: number): number {
  const pairs: [number, number][] = [];
  for (let t = 0; t < x.length; t++) {
    const u = x[t] as number;
    const v = y[t + lag];
    if (v !== undefined && Number.isFinite(u) && Number.isFinite(v)) pairs.push([u, v]);
  }
  const n = pairs.length;
  const mx = pairs.reduce((s, p) => s + p[0], 0) / n;
  const my = pairs.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [u, v] of pairs) {
    sxy += (u - mx) * (v - my);
    sxx += (u - mx) ** 2;
    syy += (v - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function bestLag(x: Float64Array, y: Float64Array): { r0: number; best: number; lag: number } {
  let best = Number.NEGATIVE_INFINITY;
  let at = 0;
  for (let lag = -6; lag <= 6; lag++) {
    const r = correlation(x, y, lag);
    if (r > best) [best, at] = [r, lag];
  }
  return { r0: correlation(x, y, 0), best, lag: at };
}

const percentile = (x: number[], p: number) => {
  const s = [...x].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};

const model = await loadFaceModel();
const landmarker = await FaceLandmarker.load({ video: true });
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
  const energy = smooth3(await energyEnvelope(file, n));
  // Positive lag: the mouth measure at t is compared with the audio at t + lag.
  const jawStats = bestLag(smooth3(jaw), energy);
  const gapStats = bestLag(smooth3(gap), energy);
  const faced = result.sequence.frames.filter((f) => f.faceFound);
  const jawValues = faced.map((f) => f.blendshapes.jawOpen);
  rows.push({
    file: basename(file),
    frames: n,
    faced: result.facedFrames,
    jaw_r0: jawStats.r0,
    jaw_best: jawStats.best,
    jaw_lag: jawStats.lag,
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
    `${basename(file)}: jawOpen r0 ${jawStats.r0.toFixed(3)} (best ${jawStats.best.toFixed(3)} at lag ${jawStats.lag}); lip-gap baseline r0 ${gapStats.r0.toFixed(3)}; ${(n / (ms / 1000)).toFixed(1)} frames/s`,
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
    `\nmean jawOpen r0 ${mean('jaw_r0').toFixed(3)}, best ${mean('jaw_best').toFixed(3)}; baseline lip gap r0 ${mean('gap_r0').toFixed(3)}, best ${mean('gap_best').toFixed(3)}`,
  );
}
