import { decodeAudioFile } from '../audio/index.ts';
import { FRAME_DURATION_MS } from '../controls/index.ts';
import {
  type FaceLandmarker,
  type FaceModel,
  LANDMARK_COUNT,
  lipSyncCorrelation,
  measureMouth,
  movingAverage3,
  speechEnvelopeDb,
  trackVideo,
} from '../face/index.ts';

/** Correlation of one mouth signal with the speech energy. */
export interface MouthCorrelation {
  /** Pearson r at lag 0. */
  r: number;
  /** Best r over lags −6…+6 frames, and its lag (positive: the mouth leads the sound). */
  bestR: number;
  bestLagFrames: number;
}

/** How well a talking-head video's mouth follows its own sound track. */
export interface LipSyncReport {
  frames: number;
  /** Frames where the tracker found the face. */
  facedFrames: number;
  /** The tracker's fitted jawOpen weight (the faces issue's measure). */
  jawOpen: MouthCorrelation;
  /** The raw inner-lip gap over the eye-corner distance (the faces issue's baseline). */
  lipGap: MouthCorrelation;
  /** First speech in the audio (energy 10 dB over its floor), ms; null when none. */
  speechOnsetMs: number | null;
  /**
   * First mouth opening, ms: the tracked jawOpen (3-frame average) crosses the middle of its
   * 10th–90th percentile range — the mid-rise point, so tracker noise of ±0.02 in the silence
   * does not count as motion.
   */
  mouthOnsetMs: number | null;
  /** mouthOnsetMs − speechOnsetMs (positive: the mouth moves late). */
  onsetOffsetMs: number | null;
}

/**
 * Measures lip sync on a finished video with the faces tracker and its lip-sync helpers
 * (src/face `trackVideo`, `speechEnvelopeDb`, `lipSyncCorrelation`, as in the faces issue):
 * the mouth opening per frame — the tracked jawOpen weight, and the raw inner-lip gap at
 * landmarks 13/14, 82/87, 312/317 over the eye-corner distance 33–263 — against the video's
 * own sound track (200–4000 Hz energy, dB per 40 ms frame), both smoothed over 3 frames,
 * correlated at lags −6…+6 frames. The sound is decoded from the MP4 itself, so a muxing
 * offset would show as a lag.
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
  for (let f = 0; f < n; f++) gap[f] = measureMouth(lm, f * LANDMARK_COUNT * 3).gap;
  const jaw = Float64Array.from(tracked.sequence.frames, (f) =>
    f.faceFound ? f.blendshapes.jawOpen : Number.NaN,
  );
  const { samples } = await decodeAudioFile(videoPath, {
    minDurationMs: 0,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const envelope = speechEnvelopeDb(samples, n);
  const gapStats = lipSyncCorrelation(gap, envelope);
  const jawStats = lipSyncCorrelation(jaw, envelope);
  const speechOnset = onset(movingAverage3(envelope), 10);
  const mouthOnset = onsetRelative(movingAverage3(jaw), 0.5);
  return {
    frames: n,
    facedFrames: tracked.facedFrames,
    jawOpen: { r: jawStats.r0, bestR: jawStats.best, bestLagFrames: jawStats.lag },
    lipGap: { r: gapStats.r0, bestR: gapStats.best, bestLagFrames: gapStats.lag },
    speechOnsetMs: speechOnset === null ? null : speechOnset * FRAME_DURATION_MS,
    mouthOnsetMs: mouthOnset === null ? null : mouthOnset * FRAME_DURATION_MS,
    onsetOffsetMs:
      speechOnset === null || mouthOnset === null
        ? null
        : (mouthOnset - speechOnset) * FRAME_DURATION_MS,
  };
}

/** First frame more than `db` above the signal's 10th percentile (its noise floor). */
function onset(x: Float64Array, db: number): number | null {
  const floor = percentile(x, 0.1);
  const i = x.findIndex((v) => Number.isFinite(v) && v > floor + db);
  return i < 0 ? null : i;
}

/** First frame above the 10th percentile plus `share` of the 10th–90th percentile range. */
function onsetRelative(x: Float64Array, share: number): number | null {
  // (NaN frames, without a face, never count.)
  const lo = percentile(x, 0.1);
  const hi = percentile(x, 0.9);
  const i = x.findIndex((v) => Number.isFinite(v) && v > lo + share * (hi - lo));
  return i < 0 ? null : i;
}

function percentile(x: Float64Array, p: number): number {
  const sorted = [...x].filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
