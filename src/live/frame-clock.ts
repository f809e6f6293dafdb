/** Frames claimed at one instant: indices `first … first + count - 1`. */
export interface DueFrames {
  first: number;
  count: number;
  /** Frames still due after these (the batch was capped); run again at once. */
  behind: number;
}

/** Options of {@link FrameClock}. */
export interface FrameClockOptions {
  /** Wall time of frame 0, ms (`performance.now()` scale). Required. */
  startMs: number;
  /** Frames per second. Default 25. */
  fps?: number;
  /** Most frames claimed at once; the rest stay due for the next call (nothing is skipped). Default 10. */
  maxBatchFrames?: number;
}

/**
 * The session's 25 fps clock. Frame `k` is due at `startMs + k * 1000 / fps` — computed from
 * the start, never accumulated from intervals — so timer jitter and late ticks cannot drift
 * the output away from wall time over hours. A late tick claims the missed frames too (their
 * speech and motion must be computed; only their pictures are dropped). Pure: the caller
 * passes the time.
 *
 * @example
 * const clock = new FrameClock({ startMs: performance.now() });
 * const due = clock.due(performance.now()); // process due.count frames
 * setTimeout(tick, clock.nextDueMs - performance.now());
 */
export class FrameClock {
  readonly startMs: number;
  readonly fps: number;
  readonly frameMs: number;
  readonly maxBatchFrames: number;
  #next = 0;

  constructor(options: FrameClockOptions) {
    this.startMs = options.startMs;
    this.fps = options.fps ?? 25;
    this.frameMs = 1000 / this.fps;
    this.maxBatchFrames = options.maxBatchFrames ?? 10;
  }

  /** Index of the next frame to produce. */
  get nextFrame(): number {
    return this.#next;
  }

  /** Wall time the next frame is due, ms. */
  get nextDueMs(): number {
    return this.dueAt(this.#next);
  }

  dueAt(frameIndex: number): number {
    return this.startMs + frameIndex * this.frameMs;
  }

  /**
   * Claims the frames due at `nowMs`, oldest first, at most `maxBatchFrames` (none if the
   * next frame is still in the future). Every frame is claimed exactly once, in order.
   */
  due(nowMs: number): DueFrames {
    // +1e-6: a tick fired exactly on time must not miss its frame to float rounding
    const last = Math.floor((nowMs - this.startMs) / this.frameMs + 1e-6);
    const first = this.#next;
    if (last < first) return { first, count: 0, behind: 0 };
    const count = Math.min(last - first + 1, this.maxBatchFrames);
    this.#next = first + count;
    return { first, count, behind: last - first + 1 - count };
  }
}
