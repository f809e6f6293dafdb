import { decodeAudioFile } from '../audio/index.ts';
import { FRAME_DURATION_MS } from '../controls/index.ts';
import { type FaceLandmarker, type FaceModel, LANDMARK_COUNT, trackVideo } from '../face/index.ts';
import { computeLogMel, hzToMel, MEL_CONFIG, melToHz } from '../features/index.ts';

/** Lags searched for the best alignment, video frames (±6 = ±240 ms). */
const MAX_LAG_FRAMES = 6;
const MEL_HOPS_PER_FRAME = 4;

/** How well a talking-head video's mouth follows its own sound track. */
export interface LipSyncReport {
  frames: number;
  /** Frames where the tracker found the face. */
  facedFrames: number;
  /** Pearson r of mouth opening and speech energy at lag 0. */
  r: number;
  /** Best r over lags −6…+6 frames, and its lag (positive: the mouth leads the sound). */
  bestR: number;
  bestLagFrames: number;
  /** The same for the tracker's fitted jawOpen weight. */
  jawOpen: { r: number; bestR: number; bestLagFrames: number };
  /** First speech in the audio, and first mouth opening in the picture, ms (null: none found). */
  speechOnsetMs: number | null;
  mouthOnsetMs: number | null;
  /** mouthOnsetMs − speechOnsetMs (positive: the mouth moves late). */
  onsetOffsetMs: number | null;
}

/**
 * Measures lip sync on a finished video with the faces tracker (src/face `trackVideo`, the
 * same Human landmarks the avatar is built from): the mouth opening per frame — the mean
 * inner-lip gap at landmarks 13/14, 82/87, 312/317 over the eye-corner distance 33–263 —
 * against the video's own audio energy (200–4000 Hz from facecast's log-mel, dB per 40 ms
 * frame), both smoothed over 3 frames, correlated at lags −6…+6 frames.
 *
 * @example
 * const { r, bestLagFrames } = await measureLipSync('out.mp4');
 */
export async function measureLipSync(
  videoPath: string,
  options: { landmarker?: FaceLandmarker; model?: FaceModel; signal?: AbortSignal } = {},
): Promise<LipSyncReport> {
  const tracked = await trackVideo(videoPath, {
    keepLandmarks: true,
    ...(options.landmarker ? { landmarker: options.landmarker } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const n = tracked.frames.length;
  const lm = tracked.landmarks as Float32Array;
  const gap = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    const p = (i: number, axis: number) => lm[(f * LANDMARK_COUNT + i) * 3 + axis] as number;
    const d = (a: number, b: number) => Math.hypot(p(a, 0) - p(b, 0), p(a, 1) - p(b, 1));
    gap[f] = (d(13, 14) + d(82, 87) + d(312, 317)) / 3 / d(33, 263);
  }
  const jaw = Float64Array.from(tracked.sequence.frames, (f) =>
    f.faceFound ? f.blendshapes.jawOpen : Number.NaN,
  );
  const energy = smooth3(await speechEnergy(videoPath, n, options.signal));
  const mouth = smooth3(gap);
  const gapStats = bestLag(mouth, energy);
  const jawStats = bestLag(smooth3(jaw), energy);
  const speechOnset = onset(energy, 10);
  const mouthOnset = onsetRelative(mouth, 0.3);
  return {
    frames: n,
    facedFrames: tracked.facedFrames,
    r: gapStats.r0,
    bestR: gapStats.best,
    bestLagFrames: gapStats.lag,
    jawOpen: { r: jawStats.r0, bestR: jawStats.best, bestLagFrames: jawStats.lag },
    speechOnsetMs: speechOnset === null ? null : speechOnset * FRAME_DURATION_MS,
    mouthOnsetMs: mouthOnset === null ? null : mouthOnset * FRAME_DURATION_MS,
    onsetOffsetMs:
      speechOnset === null || mouthOnset === null
        ? null
        : (mouthOnset - speechOnset) * FRAME_DURATION_MS,
  };
}

/** 200–4000 Hz band energy of the file's audio, dB per 40 ms video frame. */
async function speechEnergy(
  path: string,
  frames: number,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const { samples } = await decodeAudioFile(path, {
    minDurationMs: 0,
    ...(signal ? { signal } : {}),
  });
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
    for (let h = f * MEL_HOPS_PER_FRAME; h < (f + 1) * MEL_HOPS_PER_FRAME && h < mel.frames; h++) {
      for (const b of bands) power += Math.exp(mel.data[h * MEL_CONFIG.bands + b] as number);
      count++;
    }
    out[f] = 10 * Math.log10(Math.max(power / Math.max(count, 1), 1e-10));
  }
  return out;
}

function smooth3(x: Float64Array): Float64Array {
  return x.map((_, i) => {
    let sum = 0;
    let n = 0;
    for (let j = i - 1; j <= i + 1; j++) {
      const v = x[j];
      if (v !== undefined && Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    return n ? sum / n : Number.NaN;
  });
}

/** Pearson r of x[t] and y[t + lag] over the frames where both are finite. */
function correlation(x: Float64Array, y: Float64Array, lag: number): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let t = 0; t < x.length; t++) {
    const u = x[t] as number;
    const v = y[t + lag];
    if (v === undefined || !Number.isFinite(u) || !Number.isFinite(v)) continue;
    n++;
    sx += u;
    sy += v;
    sxx += u * u;
    syy += v * v;
    sxy += u * v;
  }
  const cov = sxy - (sx * sy) / n;
  return cov / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n));
}

function bestLag(x: Float64Array, y: Float64Array): { r0: number; best: number; lag: number } {
  let best = Number.NEGATIVE_INFINITY;
  let at = 0;
  for (let lag = -MAX_LAG_FRAMES; lag <= MAX_LAG_FRAMES; lag++) {
    const r = correlation(x, y, lag);
    if (r > best) [best, at] = [r, lag];
  }
  return { r0: correlation(x, y, 0), best, lag: at };
}

/** First frame more than `db` above the signal's 10th percentile (its noise floor). */
function onset(x: Float64Array, db: number): number | null {
  const floor = percentile(x, 0.1);
  const i = x.findIndex((v) => Number.isFinite(v) && v > floor + db);
  return i < 0 ? null : i;
}

/** First frame above the 10th percentile plus `share` of the 10th–90th percentile range. */
function onsetRelative(x: Float64Array, share: number): number | null {
  const lo = percentile(x, 0.1);
  const hi = percentile(x, 0.9);
  const i = x.findIndex((v) => Number.isFinite(v) && v > lo + share * (hi - lo));
  return i < 0 ? null : i;
}

function percentile(x: Float64Array, p: number): number {
  const sorted = [...x].filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
