import {
  BODY_JOINTS,
  type BodyJoint,
  CONTROLS_FPS,
  type ControlsFrame,
} from '../controls/index.ts';
import { mulberry32 } from '../motion/index.ts';
import { BODY_AUDIO_FEATURES, BODY_OUTPUT_COUNT, jointChannel } from './layout.ts';

/**
 * Beat accent: a rule-based gesture stroke added on top of the body model's motion at the
 * speech's beats. The network (a small GRU regressing to the mean) moves the arms with the
 * speech's energy but smears its strokes over the syllables; real speakers' strokes land on
 * the stressed syllables' onsets. This rule finds those onsets in the body features' onset
 * channel (the rise of the loudness, src/body/features.ts) and adds one stroke per beat: a
 * fast lift of the hands (elbows half as much, the shoulders a little), then a slow return.
 *
 * Causal with one frame of look-ahead: frame f's offset needs the features of frame f + 1
 * (a beat is a local peak of the onset channel), so a stream holds one frame (40 ms) more.
 * Seeded: each stroke's size, leading hand and sideways direction are drawn from the seed, so
 * the same speech gestures differently per seed. A running RMS cap on the shoulders' offset
 * keeps the torso's sway within the real speakers' range.
 */

/** The accent's few parameters (tuned by scripts/body/tune-accent.ts on training clips only). */
export interface AccentParams {
  /** Wrist lift of a full-strength stroke, shoulder widths. */
  gain: number;
  /** Onset (body feature, dB/10 per frame) a beat must reach. */
  threshold: number;
  /** Loudness (body feature, 0–1) below which no stroke starts (silence, breaths). */
  gate: number;
  /** Frames of the stroke's half-cosine rise (the fast phase; 1–3), see {@link strokeShape}. */
  riseFrames: number;
  /** Time constant of the return to rest, s. */
  returnTauS: number;
  /** Fewest frames between two strokes. */
  refractoryFrames: number;
  /** A stroke's size scales with the loudness (0–1) to this power: loud speech gestures more. */
  loudPower: number;
  /** RMS cap of the shoulders' offset, shoulder widths (≈ 0.35 % of the frame width per 0.01). */
  shoulderCap: number;
}

/** Tuned on the train-body clips except the held-out ones (scripts/body/tune-accent.ts). */
export const ACCENT_DEFAULTS: AccentParams = {
  gain: 0.3,
  threshold: 0.3,
  gate: 0.3,
  riseFrames: 1,
  returnTauS: 0.1,
  refractoryFrames: 4,
  loudPower: 4,
  shoulderCap: 0.012,
};

/** How far past its peak a stroke is followed before it is dropped (return time constants). */
const RETURN_SPAN = 4;
/** Log-SD of a stroke's seeded size. */
const SIZE_SPREAD = 0.35;
/** Shares of the wrist lift taken by the elbows and the shoulders. */
const ELBOW_SHARE = 0.5;
const SHOULDER_SHARE = 0.12;
/** Sideways share of the hands' motion (outward or inward, seeded per stroke). */
const SIDEWAYS_SHARE = 0.4;
/** Time constant of the shoulders' running RMS (the cap's window), s. */
const CAP_TAU_S = 4;

interface Stroke {
  /** Frames since the stroke started. */
  age: number;
  /** Offset at the stroke's peak, BODY_OUTPUTS order. */
  peak: Float32Array;
}

export class BeatAccent {
  readonly #params: AccentParams;
  readonly #rng: () => number;
  readonly #shape: Float32Array;
  readonly #capK = 1 - Math.exp(-1 / (CONTROLS_FPS * CAP_TAU_S));
  #strokes: Stroke[] = [];
  #previousOnset = 0;
  #sinceStroke = Number.POSITIVE_INFINITY;
  #shoulderMs = 0;

  constructor(seed: number, params: Partial<AccentParams> = {}) {
    this.#params = { ...ACCENT_DEFAULTS, ...params };
    // A stream of its own, apart from the model's noise and the sway for the same seed.
    this.#rng = mulberry32((seed * 2246822519 + 13) >>> 0);
    this.#shape = strokeShape(this.#params);
  }

  /**
   * The next frame's offsets (BODY_OUTPUTS order, added to the frame's body channels) given its
   * audio feature row (`features` at `offset`; undefined = silence) and the next frame's
   * (`nextOffset`; undefined when not known, past the audio).
   */
  next(
    features: Float32Array | undefined,
    offset: number,
    nextFeatures: Float32Array | undefined,
    nextOffset: number,
  ): Float32Array {
    const onset = row(features, offset, 1);
    const loud = row(features, offset, 0);
    const nextOnset = row(nextFeatures, nextOffset, 1);
    const p = this.#params;
    this.#sinceStroke++;
    const beat =
      onset >= p.threshold &&
      onset >= this.#previousOnset &&
      onset > nextOnset &&
      loud >= p.gate &&
      this.#sinceStroke >= p.refractoryFrames;
    this.#previousOnset = onset;
    if (beat) {
      this.#strokes.push({ age: 0, peak: this.#strokePeak(onset, loud) });
      this.#sinceStroke = 0;
    }
    return this.#sum();
  }

  /** A new stroke's peak offsets: seeded size, leading hand and sideways direction. */
  #strokePeak(onset: number, loud: number): Float32Array {
    const p = this.#params;
    const size =
      p.gain *
      Math.min(1.5, onset / 0.7) *
      loud ** p.loudPower *
      Math.exp(SIZE_SPREAD * gauss(this.#rng));
    const lead = this.#rng();
    const left = lead < 0.35 ? 1 : lead < 0.7 ? 0.35 : 0.8;
    const right = lead < 0.35 ? 0.35 : lead < 0.7 ? 1 : 0.8;
    const outward = this.#rng() < 0.6 ? 1 : -1;
    const peak = new Float32Array(BODY_OUTPUT_COUNT);
    const put = (joint: BodyJoint, x: number, y: number) => {
      const c = jointChannel(joint);
      peak[c] = x;
      peak[c + 1] = y;
    };
    // Image axes: y down (a lift is negative), the subject's left hand on the image's right.
    for (const [side, share, sign] of [
      ['left', left, 1],
      ['right', right, -1],
    ] as const) {
      const lift = size * share;
      const sideways = sign * outward * SIDEWAYS_SHARE * lift;
      put(`${side}Wrist`, sideways, -lift);
      put(`${side}Elbow`, ELBOW_SHARE * sideways, -ELBOW_SHARE * lift);
      put(`${side}Shoulder`, 0, -SHOULDER_SHARE * lift);
    }
    return peak;
  }

  /** The sum of the live strokes at their current age, shoulders capped; ages them. */
  #sum(): Float32Array {
    const out = new Float32Array(BODY_OUTPUT_COUNT);
    for (const s of this.#strokes) {
      const k = this.#shape[s.age] as number;
      for (let c = 0; c < BODY_OUTPUT_COUNT; c++)
        out[c] = (out[c] as number) + k * (s.peak[c] as number);
      s.age++;
    }
    this.#strokes = this.#strokes.filter((s) => s.age < this.#shape.length);
    this.#capShoulders(out);
    return out;
  }

  #capShoulders(out: Float32Array): void {
    let sq = 0;
    const shoulders = BODY_JOINTS.slice(0, 2).map(jointChannel);
    for (const c of shoulders) sq += (out[c] as number) ** 2 + (out[c + 1] as number) ** 2;
    this.#shoulderMs += (sq / 2 - this.#shoulderMs) * this.#capK;
    const rms = Math.sqrt(this.#shoulderMs);
    if (rms <= this.#params.shoulderCap) return;
    const scale = this.#params.shoulderCap / rms;
    for (const c of shoulders) {
      out[c] = (out[c] as number) * scale;
      out[c + 1] = (out[c + 1] as number) * scale;
    }
  }
}

/**
 * A stroke's time course, frame by frame from the beat: a half-cosine rise over `riseFrames`
 * frames (0.5 on the beat frame with one), then an exponential return starting at
 * exp(−1/τ) (τ = `returnTauS` in frames) — so with the defaults [0.5, 0.67, 0.45, 0.30, …]:
 * the fastest change is on the beat frame itself.
 */
export function strokeShape(params: Pick<AccentParams, 'riseFrames' | 'returnTauS'>): Float32Array {
  const rise = Math.max(1, Math.round(params.riseFrames));
  const tauFrames = params.returnTauS * CONTROLS_FPS;
  const length = rise + Math.ceil(RETURN_SPAN * tauFrames);
  return Float32Array.from({ length }, (_, t) =>
    t < rise
      ? 0.5 - 0.5 * Math.cos((Math.PI * (t + 1)) / (rise + 1))
      : Math.exp(-(t - rise + 1) / tauFrames),
  );
}

/**
 * Adds the beat accent to `frames` in place, frame f using the feature rows f and f + 1
 * (`features`, rows of BODY_AUDIO_FEATURES; `available` rows, later frames are silence).
 */
export function accentFrames(
  accent: BeatAccent,
  frames: readonly ControlsFrame[],
  features: Float32Array,
  first: number,
  available: number,
): void {
  frames.forEach((frame, k) => {
    const f = first + k;
    const known = (g: number) => (g < available ? features : undefined);
    const offsets = accent.next(
      known(f),
      f * BODY_AUDIO_FEATURES,
      known(f + 1),
      (f + 1) * BODY_AUDIO_FEATURES,
    );
    for (const joint of BODY_JOINTS) {
      const c = jointChannel(joint);
      const at = frame.body[joint];
      frame.body[joint] = {
        x: at.x + (offsets[c] as number),
        y: at.y + (offsets[c + 1] as number),
        z: at.z,
      };
    }
  });
}

function row(features: Float32Array | undefined, offset: number, channel: number): number {
  if (!features || offset + BODY_AUDIO_FEATURES > features.length) return 0;
  return features[offset + channel] as number;
}

function gauss(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
