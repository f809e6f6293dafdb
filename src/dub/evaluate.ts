import { decodeAudioFile } from '../audio/index.ts';
import { throwIfAborted } from '../core/index.ts';
import {
  type FaceLandmarker,
  lipSyncCorrelation,
  measureMouth,
  speechEnvelopeDb,
} from '../face/index.ts';
import { openVideoFrames } from '../media/index.ts';

/** Measurement rate of {@link mouthOpening}: the Controls rate. */
const MEASURE_FPS = 25;

/**
 * The mouth opening per 40 ms frame of a video, straight from the landmark detector (no
 * fitting, nothing of the dubbing pipeline): src/face `measureMouth(...).gap`, the mean
 * inner-lip gap over the eye-corner distance (the faces issue's lip-gap measure); NaN where
 * no face is found.
 *
 * @param landmarker Loaded in video mode.
 */
export async function mouthOpening(
  videoPath: string,
  landmarker: FaceLandmarker,
  options: { maxSizePx?: number; signal?: AbortSignal } = {},
): Promise<Float64Array> {
  const video = await openVideoFrames(videoPath, {
    fps: MEASURE_FPS,
    maxSize: options.maxSizePx ?? 512,
    signal: options.signal,
  });
  const gaps: number[] = [];
  for await (const frame of video) {
    throwIfAborted(options.signal);
    const { faces } = await landmarker.detect(
      { width: frame.width, height: frame.height, data: frame.rgb },
      { body: false, signal: options.signal },
    );
    const lm = faces[0]?.landmarks;
    if (!lm) {
      gaps.push(Number.NaN);
      continue;
    }
    gaps.push(measureMouth(lm).gap);
  }
  return Float64Array.from(gaps);
}

/** How well a mouth signal follows an audio file's speech energy. */
export interface LipSyncScore {
  /** Pearson r at lag 0 (both smoothed over 3 frames). */
  r: number;
  /** Best r over lags −6…+6 frames, and its lag (positive: the mouth leads). */
  bestR: number;
  bestLagFrames: number;
}

/**
 * Correlates a mouth-opening series (25 fps, e.g. from {@link mouthOpening}) with the speech
 * energy of `audioPath` (200–4000 Hz band, dB per 40 ms) over their common frames.
 */
export async function lipSyncScore(
  mouth: Float64Array,
  audioPath: string,
  options: { signal?: AbortSignal } = {},
): Promise<LipSyncScore> {
  const { samples } = await decodeAudioFile(audioPath, {
    minDurationMs: 0,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const frames = Math.min(mouth.length, Math.floor(samples.length / 640));
  const envelope = speechEnvelopeDb(samples, frames);
  const stats = lipSyncCorrelation(mouth.subarray(0, frames), envelope);
  return { r: stats.r0, bestR: stats.best, bestLagFrames: stats.lag };
}
