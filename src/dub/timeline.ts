/**
 * The source video's clock: which source frame is on screen at each output frame. Output is
 * constant-rate; a variable-frame-rate source (e.g. 15 and 30 fps mixed) is shown at its
 * fastest regular rate, each output frame showing the source frame on screen at that instant
 * (duplicates where the source was slower), so no source frame is dropped and timing is kept.
 */
export interface SourceTimeline {
  /** Output frame rate, frames per second. */
  fps: number;
  /** Whether the source frame intervals were irregular (variable frame rate). */
  variable: boolean;
  /** Decoded source frames. */
  sourceFrames: number;
  /** Output frames that cover the source once (its duration × fps). */
  frames: number;
  /** Duration of the source at the output rate: frames / fps, ms. */
  durationMs: number;
  /** Source frame index on screen at output frame j (0 ≤ j < frames). */
  sourceIndexAt(j: number): number;
}

/** Options for {@link buildTimeline}. */
export interface TimelineOptions {
  /** Highest output rate; faster sources are resampled down to it. Default 60. */
  maxFps?: number;
  /** Rate used when the source has a single frame. Default 25. */
  fallbackFps?: number;
}

export const TIMELINE_DEFAULTS = Object.freeze({ maxFps: 60, fallbackFps: 25 });

/** Common rates a measured rate snaps to (NTSC rates as exact fractions). */
const STANDARD_FPS = [24000 / 1001, 24, 25, 30000 / 1001, 30, 48, 50, 60000 / 1001, 60, 12, 15, 20];

/**
 * Builds the timeline from each decoded source frame's presentation time (ms, increasing).
 * A source whose intervals all lie within ±10 % of their median is constant-rate: its rate
 * is the mean (snapped to a standard rate within 0.2 %). Otherwise the rate is that of the
 * 10th-percentile interval (snapped within 3 %), so the fastest stretch keeps every frame.
 *
 * @example
 * const t = buildTimeline([0, 66.7, 100, 133.3, 200]); // 15/30 fps mix → 30 fps
 * t.sourceIndexAt(1); // 0: the first frame is still on screen at 33 ms
 */
export function buildTimeline(
  timesMs: ArrayLike<number>,
  options: TimelineOptions = {},
): SourceTimeline {
  const o = { ...TIMELINE_DEFAULTS, ...options };
  const n = timesMs.length;
  if (n === 0) throw new RangeError('a timeline needs at least one frame');
  const t0 = timesMs[0] as number;
  const intervals: number[] = [];
  for (let i = 1; i < n; i++) {
    const d = (timesMs[i] as number) - (timesMs[i - 1] as number);
    if (d > 0) intervals.push(d);
  }
  let fps = o.fallbackFps;
  let variable = false;
  let typicalMs = 1000 / fps;
  if (intervals.length > 0) {
    const sorted = [...intervals].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1] as number;
    const regular = sorted.every((d) => Math.abs(d - median) <= 0.1 * median);
    if (regular) {
      const mean = ((timesMs[n - 1] as number) - t0) / (n - 1);
      fps = snap(1000 / mean, 0.002);
      typicalMs = mean;
    } else {
      variable = true;
      const fast = sorted[Math.floor(0.1 * (sorted.length - 1))] as number;
      fps = snap(1000 / fast, 0.03);
      typicalMs = median;
    }
  }
  fps = Math.min(fps, o.maxFps);
  const durationSourceMs = (timesMs[n - 1] as number) - t0 + typicalMs;
  const frames = Math.max(1, Math.round((durationSourceMs * fps) / 1000));
  const map = new Int32Array(frames);
  const frameMs = 1000 / fps;
  let i = 0;
  for (let j = 0; j < frames; j++) {
    const at = j * frameMs + 0.5 * frameMs;
    while (i + 1 < n && (timesMs[i + 1] as number) - t0 <= at) i++;
    map[j] = i;
  }
  return {
    fps,
    variable,
    sourceFrames: n,
    frames,
    durationMs: (frames * 1000) / fps,
    sourceIndexAt(j: number): number {
      if (!(j >= 0 && j < frames))
        throw new RangeError(`output frame ${j} outside 0…${frames - 1}`);
      return map[j] as number;
    },
  };
}

/** The standard rate nearest to `fps` if within `tolerance` (relative), else `fps` rounded. */
function snap(fps: number, tolerance: number): number {
  let best: number | undefined;
  for (const standard of STANDARD_FPS) {
    const off = Math.abs(fps / standard - 1);
    if (off <= tolerance && (best === undefined || off < Math.abs(fps / best - 1))) best = standard;
  }
  return best ?? Math.round(fps * 1000) / 1000;
}
