/**
 * Why a source frame is dubbed or passed through untouched. Ids are stored per frame
 * (Uint8Array); append only.
 */
export const FRAME_STATUSES = [
  /** Tracked; the mouth is re-animated. */
  'dubbed',
  /** No face found. */
  'no-face',
  /** A second face at least a quarter the size of the largest: whose mouth is unclear. */
  'multiple-faces',
  /** Head turned or tilted past the fitter's limits (yaw 35°, pitch 30°, roll 45°). */
  'pose-extreme',
  /** The face is too small to re-animate (eye distance below the limit). */
  'face-too-small',
  /** The fitted face does not match the landmarks (residual above the limit). */
  'track-lost',
] as const;
export type FrameStatus = (typeof FRAME_STATUSES)[number];
export const STATUS_ID: Readonly<Record<FrameStatus, number>> = Object.freeze(
  Object.fromEntries(FRAME_STATUSES.map((s, i) => [s, i])) as Record<FrameStatus, number>,
);

/** A run of consecutive source frames passed through for one reason. */
export interface PassThroughRange {
  reason: Exclude<FrameStatus, 'dubbed'>;
  /** First and last source frame of the run (inclusive). */
  firstFrame: number;
  lastFrame: number;
  /** Presentation time of the first frame and the end of the last one, ms from the start. */
  startMs: number;
  endMs: number;
}

/**
 * Merges consecutive non-dubbed frames with the same reason into ranges.
 *
 * @param statuses Status id per source frame ({@link STATUS_ID}).
 * @param timesMs Presentation time per source frame, ms from the first frame.
 * @param endMs End of the last frame, ms.
 */
export function passThroughRanges(
  statuses: Uint8Array,
  timesMs: ArrayLike<number>,
  endMs: number,
): PassThroughRange[] {
  const ranges: PassThroughRange[] = [];
  const timeAt = (i: number) => (i < statuses.length ? (timesMs[i] as number) : endMs);
  let i = 0;
  while (i < statuses.length) {
    const s = statuses[i] as number;
    let j = i;
    while (j + 1 < statuses.length && statuses[j + 1] === s) j++;
    if (s !== STATUS_ID.dubbed) {
      ranges.push({
        reason: FRAME_STATUSES[s] as PassThroughRange['reason'],
        firstFrame: i,
        lastFrame: j,
        startMs: round(timeAt(i)),
        endMs: round(timeAt(j + 1)),
      });
    }
    i = j + 1;
  }
  return ranges;
}

/**
 * How far each dubbed frame moves towards the new mouth, 0–1: full strength except within
 * `rampFrames` of a passed-through frame of the same shot, where it eases in and out
 * (the mouth morphs between its own shape and the new one instead of popping). A shot
 * boundary (a cut) needs no easing: the picture changes anyway.
 */
export function dubStrength(
  statuses: Uint8Array,
  shots: Int32Array,
  rampFrames: number,
): Float32Array {
  const n = statuses.length;
  const out = new Float32Array(n);
  const distance = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let pass = 0; pass < 2; pass++) {
    let last = Number.NEGATIVE_INFINITY;
    for (let step = 0; step < n; step++) {
      const i = pass === 0 ? step : n - 1 - step;
      const prev = pass === 0 ? i - 1 : i + 1;
      if (prev >= 0 && prev < n && shots[prev] !== shots[i]) last = Number.NEGATIVE_INFINITY;
      if (statuses[i] !== STATUS_ID.dubbed) last = step;
      distance[i] = Math.min(distance[i] as number, step - last);
    }
  }
  for (let i = 0; i < n; i++) {
    if (statuses[i] !== STATUS_ID.dubbed) continue;
    const d = distance[i] as number;
    out[i] = rampFrames <= 0 || d > rampFrames ? 1 : smooth(d / (rampFrames + 1));
  }
  return out;
}

function smooth(x: number): number {
  return x * x * (3 - 2 * x);
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
