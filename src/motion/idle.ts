/**
 * Idle life: the part of a face's motion that audio does not determine — blinks, small head
 * sway, gaze shifts, breathing. Generated frame by frame from a seed, so a given seed gives the
 * same motion in offline and streaming mode and across runs. The synthetic training data uses
 * the same generator for its blink and head statistics.
 */

/** Statistics of idle motion. Defaults follow published measurements of conversational faces. */
export interface IdleOptions {
  /** Seed of the random sequence. Default 1. */
  seed?: number;
  /** Mean blinks per minute. Default 17 (adults in conversation: ~15–25). */
  blinksPerMinute?: number;
  /** Shortest gap between blinks, ms. Default 600. */
  minBlinkGapMs?: number;
  /** Head sway amplitude (standard deviation) for pitch, yaw, roll in radians. Default 0.02, 0.03, 0.012 (~1–2°). */
  headSwayRad?: readonly [number, number, number];
  /** Mean time between gaze shifts, ms. Default 1800. */
  gazeShiftMs?: number;
  /** Standard deviation of gaze offsets (yaw, pitch) in radians. Default 0.06, 0.035. */
  gazeRad?: readonly [number, number];
  /** Breathing rate, breaths per minute. Default 14. */
  breathsPerMinute?: number;
}

export const IDLE_DEFAULTS: Readonly<Required<IdleOptions>> = Object.freeze({
  seed: 1,
  blinksPerMinute: 17,
  minBlinkGapMs: 600,
  headSwayRad: [0.02, 0.03, 0.012] as const,
  gazeShiftMs: 1800,
  gazeRad: [0.06, 0.035] as const,
  breathsPerMinute: 14,
});

/** One frame of idle motion. */
export interface IdleFrame {
  /**
   * Eyelid closure, 0 open … 1 closed, for both eyes: people blink with both lids together
   * (a wink is a gesture, not idle life), so there is one value.
   */
  blink: number;
  /** Head rotation offsets (radians). */
  pitch: number;
  yaw: number;
  roll: number;
  /** Gaze offsets (radians, both eyes). */
  gazeYaw: number;
  gazePitch: number;
  /** Breathing phase as a shoulder lift (shoulder widths). */
  breath: number;
}

/** Blink profile (ms): fast close, short hold, slower opening. */
const BLINK_CLOSE_MS = 80;
const BLINK_HOLD_MS = 40;
const BLINK_OPEN_MS = 160;
const BLINK_MS = BLINK_CLOSE_MS + BLINK_HOLD_MS + BLINK_OPEN_MS;

/**
 * Seeded idle-motion generator, one frame per call. Pure state machine: no timers, no I/O.
 *
 * @example
 * const idle = new IdleLife({ seed: 7 }, 25);
 * const frame = idle.next(); // frame 0; call once per video frame
 */
export class IdleLife {
  readonly options: Required<IdleOptions>;
  readonly fps: number;
  #rng: () => number;
  #frame = 0;
  #nextBlinkMs = 0;
  #blinkStartMs = Number.NEGATIVE_INFINITY;
  #blinkDepth = 1;
  #doubleBlink = false;
  #nextGazeMs = 0;
  #gaze = [0, 0];
  #gazeTarget = [0, 0];
  /** Three second-order smoothed noise processes for head sway. */
  #sway = [0, 0, 0, 0, 0, 0];
  #breathPhase = 0;

  constructor(options: IdleOptions = {}, fps = 25) {
    this.options = { ...IDLE_DEFAULTS, ...options };
    this.fps = fps;
    this.#rng = mulberry32(this.options.seed);
    this.reset();
  }

  /** Restarts the sequence from frame 0 (same seed, same motion). */
  reset(): void {
    this.#rng = mulberry32(this.options.seed);
    this.#frame = 0;
    this.#blinkStartMs = Number.NEGATIVE_INFINITY;
    this.#nextBlinkMs = 300 + this.#interval();
    this.#nextGazeMs = this.#exponential(this.options.gazeShiftMs);
    this.#gaze = [0, 0];
    this.#gazeTarget = [0, 0];
    this.#sway = [0, 0, 0, 0, 0, 0];
    // Start the sway processes in their stationary distribution, not at zero.
    for (let i = 0; i < 200; i++) this.#stepSway(1);
    this.#breathPhase = this.#rng() * 2 * Math.PI;
  }

  get frameIndex(): number {
    return this.#frame;
  }

  /**
   * The next frame. `activity` (0 rest … 1 speaking) scales head sway up to 1.6× as people
   * move their heads more while talking.
   */
  next(activity = 0): IdleFrame {
    const tMs = (this.#frame * 1000) / this.fps;
    this.#frame++;
    // Blinks: a renewal process with a refractory gap; 8 % are double blinks.
    if (tMs >= this.#nextBlinkMs) {
      this.#blinkStartMs = tMs;
      this.#blinkDepth = 0.85 + 0.15 * this.#rng();
      this.#doubleBlink = this.#rng() < 0.08;
      this.#nextBlinkMs = tMs + Math.max(this.options.minBlinkGapMs, this.#interval());
    }
    const sinceBlink = tMs - this.#blinkStartMs;
    let blink = blinkProfile(sinceBlink) * this.#blinkDepth;
    if (this.#doubleBlink)
      blink = Math.max(blink, blinkProfile(sinceBlink - BLINK_MS - 60) * this.#blinkDepth);
    // Gaze: fixations with quick saccades (about 40 ms) to a new target.
    if (tMs >= this.#nextGazeMs) {
      const back = this.#rng() < 0.5;
      this.#gazeTarget = back
        ? [0, 0]
        : [this.#gaussian() * this.options.gazeRad[0], this.#gaussian() * this.options.gazeRad[1]];
      this.#nextGazeMs = tMs + 300 + this.#exponential(this.options.gazeShiftMs);
    }
    const follow = Math.min(1, 1000 / this.fps / 40);
    this.#gaze = this.#gaze.map((g, i) => g + ((this.#gazeTarget[i] as number) - g) * follow);
    this.#stepSway(1000 / this.fps / 40);
    const gain = 1 + 0.6 * Math.min(1, Math.max(0, activity));
    const [sp, sy, sr] = this.options.headSwayRad;
    this.#breathPhase += (2 * Math.PI * this.options.breathsPerMinute) / 60 / this.fps;
    return {
      blink,
      pitch: (this.#sway[0] as number) * sp * gain + 0.004 * Math.sin(this.#breathPhase),
      yaw: (this.#sway[2] as number) * sy * gain,
      roll: (this.#sway[4] as number) * sr * gain,
      gazeYaw: this.#gaze[0] as number,
      gazePitch: this.#gaze[1] as number,
      breath: 0.006 * (0.5 - 0.5 * Math.cos(this.#breathPhase)),
    };
  }

  /** Advances the sway processes: white noise through two one-pole low-passes (~0.3 Hz), unit variance. */
  #stepSway(steps: number): void {
    const a = Math.exp(-steps * 0.08);
    // The second stage's stationary variance is (1 + a²) / (1 + a)²: scale it back to 1.
    const norm = (1 + a) / Math.sqrt(1 + a * a);
    for (let k = 0; k < 3; k++) {
      const first = a * (this.#sway[2 * k + 1] as number) + Math.sqrt(1 - a * a) * this.#gaussian();
      this.#sway[2 * k + 1] = first;
      this.#sway[2 * k] = a * (this.#sway[2 * k] as number) + (1 - a) * norm * first;
    }
  }

  #interval(): number {
    // Gamma(shape 2) intervals: more regular than Poisson, same mean.
    const mean = 60_000 / this.options.blinksPerMinute;
    return this.#exponential(mean / 2) + this.#exponential(mean / 2);
  }

  #exponential(mean: number): number {
    return -mean * Math.log(1 - this.#rng());
  }

  #gaussian(): number {
    const u = 1 - this.#rng();
    const v = this.#rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Eyelid closure `sinceMs` after a blink started (0 outside the blink). */
function blinkProfile(sinceMs: number): number {
  if (sinceMs < 0 || sinceMs >= BLINK_MS) return 0;
  if (sinceMs < BLINK_CLOSE_MS) return smooth(sinceMs / BLINK_CLOSE_MS);
  if (sinceMs < BLINK_CLOSE_MS + BLINK_HOLD_MS) return 1;
  return 1 - smooth((sinceMs - BLINK_CLOSE_MS - BLINK_HOLD_MS) / BLINK_OPEN_MS);
}

function smooth(x: number): number {
  return x * x * (3 - 2 * x);
}

/** Small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
