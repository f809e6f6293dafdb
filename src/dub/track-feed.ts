import { dubStrength } from './segments.ts';
import type { TrackPassResult, TrackSoFar } from './track.ts';

/** What pass 2 reads of pass 1: the live arrays while it runs, its result once it has ended. */
export interface TrackView {
  /** Frames 0 … settledFrames − 1 are final (all of them once pass 1 has ended). */
  settledFrames: number;
  /** Presentation times, ms (subtract `timesMs[0]`). */
  timesMs: ArrayLike<number>;
  statuses: ArrayLike<number>;
  shots: ArrayLike<number>;
  interOcularPx: ArrayLike<number>;
  mouthGaps: ArrayLike<number>;
  identities: readonly (Float32Array | undefined)[];
  trackWidth: number;
  trackHeight: number;
}

/**
 * Pass 1 (the tracking pass) as pass 2 sees it while both run: how many frames are final,
 * waits for more, and the dub strength of a frame once its neighbours are final. Pass 1
 * `update`s it as frames settle and `end`s (or `fail`s) it; a failure rejects every wait.
 */
export class TrackFeed {
  #soFar: TrackSoFar | undefined;
  #result: TrackPassResult | undefined;
  #failure: { error: unknown } | undefined;
  #wake: (() => void)[] = [];

  update(soFar: TrackSoFar): void {
    this.#soFar = soFar;
    this.#notify();
  }

  end(result: TrackPassResult): void {
    this.#result = result;
    this.#notify();
  }

  fail(error: unknown): void {
    this.#failure = { error };
    this.#notify();
  }

  /** Pass 1's result once it has ended. */
  get result(): TrackPassResult | undefined {
    return this.#result;
  }

  /** What is known now (nothing before pass 1's first frame). */
  get view(): TrackView {
    const r = this.#result;
    if (r) return { ...r, settledFrames: r.statuses.length };
    const s = this.#soFar;
    if (s) return s;
    return {
      settledFrames: 0,
      timesMs: [],
      statuses: [],
      shots: [],
      interOcularPx: [],
      mouthGaps: [],
      identities: [],
      trackWidth: 0,
      trackHeight: 0,
    };
  }

  /** Resolves once frames 0 … frames − 1 are final or pass 1 has ended; rejects if it failed. */
  async settled(frames: number): Promise<TrackView> {
    for (;;) {
      this.#throwIfFailed();
      if (this.#result || (this.#soFar?.settledFrames ?? 0) >= frames) return this.view;
      await this.changed();
    }
  }

  /** Resolves at pass 1's next update or end; rejects when it has failed. */
  async changed(): Promise<void> {
    this.#throwIfFailed();
    await new Promise<void>((resolve) => this.#wake.push(resolve));
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  /**
   * Source frame `s`'s dub strength ({@link dubStrength}): waits until the frames within
   * `rampFrames` of it are final. Only those can change it, so it is the whole clip's value.
   */
  async strength(s: number, rampFrames: number): Promise<number> {
    const ramp = Math.max(0, rampFrames);
    const view = await this.settled(s + ramp + 1);
    const first = Math.max(0, s - ramp);
    const end = Math.min(view.settledFrames, s + ramp + 1);
    const statuses = Uint8Array.from(
      { length: end - first },
      (_, i) => view.statuses[first + i] as number,
    );
    const shots = Int32Array.from(
      { length: end - first },
      (_, i) => view.shots[first + i] as number,
    );
    return dubStrength(statuses, shots, rampFrames)[s - first] as number;
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }
}
