/**
 * Playback planning, motion-graph style: the footage plays forward through its usable
 * stretches ("runs": consecutive usable frames of one shot); near the end of a run it jumps
 * to a frame elsewhere whose head pose, expression and picture match the next few frames,
 * cross-fading over `blendFrames`. Where no join is good enough it reverses (ping-pong).
 * The plan is a cursor: it yields one step per output frame for as long as asked, so the
 * output lasts exactly as long as the speech, and live sessions can run it without end.
 */

/** One output frame: footage frame `a`, cross-faded towards `b` by `w` (0: `a` alone). */
export interface PlaybackStep {
  a: number;
  b: number;
  w: number;
  /** A join (or a reversal) starts at this frame. */
  join: 'cut' | 'reverse' | null;
}

/** Per playback frame what the planner compares; `undefined` = not usable. */
export interface PlanInput {
  /** Pose and expression features, already scaled so that 1 ≈ a just-visible difference. */
  features: (Float32Array | undefined)[];
  /** 16 × 16 grey thumbnails (0–255) per playback frame. */
  thumbs: (Float32Array | undefined)[];
  /** `continues[j]`: frame j + 1 follows frame j in the footage (same shot, both usable). */
  continues: Uint8Array;
}

/** Planner options; defaults in {@link PLAN_DEFAULTS}. */
export interface PlanOptions {
  /** Frames of each cross-fade. Default 4. */
  blendFrames?: number;
  /** Frames before a run's end among which a join may leave. Default 50 (2 s). */
  exitWindow?: number;
  /** A join must land at least this many frames away from where it leaves. Default 40. */
  minJump?: number;
  /** A join is taken only when its cost is at most this (squared feature units per frame). Default 6. */
  maxCost?: number;
  /** Grey-level thumbnail difference worth one feature unit. Default 3. */
  thumbLevelsPerUnit?: number;
  /** Seed of the choice among the best joins (variety between loops). Default 0. */
  seed?: number;
}

export const PLAN_DEFAULTS = Object.freeze({
  blendFrames: 4,
  exitWindow: 50,
  minJump: 40,
  maxCost: 6,
  thumbLevelsPerUnit: 3,
  seed: 0,
});

/** A candidate join: leave after frame `from`, continue at `to`. */
export interface Join {
  from: number;
  to: number;
  cost: number;
}

interface Run {
  first: number;
  last: number;
}

/**
 * The runs of usable, continuous frames.
 */
export function playbackRuns(input: PlanInput): Run[] {
  const runs: Run[] = [];
  const n = input.features.length;
  let first = -1;
  for (let j = 0; j < n; j++) {
    if (!input.features[j]) continue;
    if (first < 0) first = j;
    if (j === n - 1 || !input.continues[j] || !input.features[j + 1]) {
      runs.push({ first, last: j });
      first = -1;
    }
  }
  return runs;
}

/**
 * The cost of leaving after `from` for `to`: over the cross-fade, how far the frames the
 * footage would have shown (`from + 1 + t`) are from the ones shown instead (`to + t`).
 */
export function joinCost(
  input: PlanInput,
  from: number,
  to: number,
  blend: number,
  thumbUnit: number,
  limit = Number.POSITIVE_INFINITY,
): number {
  let sum = 0;
  for (let t = 0; t < blend; t++) {
    const a = input.features[from + 1 + t];
    const b = input.features[to + t];
    if (!a || !b) return Number.POSITIVE_INFINITY;
    for (let k = 0; k < a.length; k++) {
      const d = (a[k] as number) - (b[k] as number);
      sum += d * d;
    }
  }
  // Pose and expression alone already too far: skip the pictures.
  if (sum / blend > limit) return Number.POSITIVE_INFINITY;
  for (let t = 0; t < blend; t++) {
    const ta = input.thumbs[from + 1 + t];
    const tb = input.thumbs[to + t];
    if (ta && tb) {
      let diff = 0;
      for (let k = 0; k < ta.length; k++) diff += Math.abs((ta[k] as number) - (tb[k] as number));
      const units = diff / ta.length / thumbUnit;
      sum += units * units;
    }
  }
  return sum / blend;
}

/**
 * The best joins out of each run's last `exitWindow` frames (into any run, landing with at
 * least `2 × blendFrames` frames left to play), cheapest first, those within `maxCost`.
 */
export function findJoins(input: PlanInput, options: PlanOptions = {}): Join[] {
  const o = { ...PLAN_DEFAULTS, ...options };
  const runs = playbackRuns(input);
  const B = o.blendFrames;
  const joins: Join[] = [];
  for (const exit of runs) {
    const lo = Math.max(exit.first, exit.last - o.exitWindow);
    for (let from = lo; from + B <= exit.last; from++) {
      for (const land of runs) {
        for (let to = land.first; to + 2 * B <= land.last; to++) {
          if (land === exit && Math.abs(to - from) < o.minJump) continue;
          const cost = joinCost(input, from, to, B, o.thumbLevelsPerUnit, o.maxCost);
          if (cost <= o.maxCost) joins.push({ from, to, cost });
        }
      }
    }
  }
  joins.sort((x, y) => x.cost - y.cost);
  return joins;
}

/**
 * The playback cursor. Starts at the first frame of the longest run, plays forward, and at
 * each run's exit window takes one of its three cheapest joins (seeded), cross-fading; a run
 * without a join reverses at its end instead (ping-pong, no cross-fade needed).
 *
 * @example
 * const plan = new PlaybackPlan(input);
 * for (let k = 0; k < frames; k++) draw(plan.next());
 */
export class PlaybackPlan {
  readonly joins: Join[];
  readonly #runs: Run[];
  readonly #byRunExit = new Map<Run, Join[]>();
  readonly #blend: number;
  readonly #longest: Run;
  #rand: () => number;
  #frame: number;
  #direction: 1 | -1 = 1;
  #run: Run;
  /** The join being cross-faded and how far into it. */
  #fade: { join: Join; t: number } | undefined;
  /** The join chosen for this pass through the run (taken when the cursor reaches its `from`). */
  #planned: Join | undefined;

  constructor(input: PlanInput, options: PlanOptions = {}) {
    const o = { ...PLAN_DEFAULTS, ...options };
    this.#runs = playbackRuns(input);
    const longest = this.#runs.reduce<Run | undefined>(
      (best, r) => (!best || r.last - r.first > best.last - best.first ? r : best),
      undefined,
    );
    if (!longest) throw new RangeError('no usable footage to play');
    this.joins = findJoins(input, o);
    for (const run of this.#runs) {
      this.#byRunExit.set(
        run,
        this.joins.filter((j) => j.from >= run.first && j.from <= run.last),
      );
    }
    this.#blend = o.blendFrames;
    this.#longest = longest;
    this.#rand = mulberry32(o.seed);
    this.#run = longest;
    this.#frame = longest.first;
    this.#choose();
  }

  /**
   * Starts again from the beginning with `seed`: the steps that follow are those of a new
   * plan with that seed (the joins, the costly part, are kept).
   */
  restart(seed: number): void {
    this.#rand = mulberry32(seed);
    this.#run = this.#longest;
    this.#frame = this.#longest.first;
    this.#direction = 1;
    this.#fade = undefined;
    this.#choose();
  }

  /** The step for the next output frame. */
  next(): PlaybackStep {
    const fade = this.#fade;
    if (fade) {
      const { join, t } = fade;
      const step: PlaybackStep = {
        a: join.from + 1 + t,
        b: join.to + t,
        w: (t + 1) / (this.#blend + 1),
        join: t === 0 ? 'cut' : null,
      };
      if (t + 1 >= this.#blend) {
        this.#fade = undefined;
        this.#frame = join.to + this.#blend;
        this.#run = this.#runOf(this.#frame);
        this.#choose();
      } else fade.t = t + 1;
      return step;
    }
    const frame = this.#frame;
    let join: PlaybackStep['join'] = null;
    if (this.#planned && frame === this.#planned.from && this.#direction === 1) {
      this.#fade = { join: this.#planned, t: 0 };
      this.#planned = undefined;
    } else {
      const next = frame + this.#direction;
      if (next > this.#run.last || next < this.#run.first) {
        this.#direction = this.#direction === 1 ? -1 : 1;
        join = 'reverse';
        if (this.#direction === 1) this.#choose();
      }
      this.#frame = Math.min(this.#run.last, Math.max(this.#run.first, frame + this.#direction));
    }
    return { a: frame, b: frame, w: 0, join };
  }

  #choose(): void {
    const options = (this.#byRunExit.get(this.#run) ?? [])
      .filter((j) => j.from >= this.#frame)
      .slice(0, CHOICES);
    this.#planned =
      options.length > 0 ? options[Math.floor(this.#rand() * options.length)] : undefined;
  }

  #runOf(frame: number): Run {
    return this.#runs.find((r) => frame >= r.first && frame <= r.last) ?? this.#run;
  }
}

/** A pass through a run takes one of its this many cheapest joins still ahead. */
const CHOICES = 3;

/** Small seeded PRNG (mulberry32), 0 ≤ x < 1. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
