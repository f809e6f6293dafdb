import type { BlendshapeName, ControlsFrame } from '../controls/index.ts';
import { mulberry32 } from '../motion/index.ts';

/** Options of {@link ListenerMotion}. */
export interface ListenerMotionOptions {
  /** Seed of the nod timing. Default 1. */
  seed?: number;
  /** Frames to blend into and out of listening (25 fps). Default 8 (320 ms). */
  rampFrames?: number;
  /** Nod depth, radians of pitch. Default 0.09 (~5°). */
  nodRadians?: number;
  /** Pause between nods, seconds: uniform in this range. Default [1.6, 3.4]. */
  nodIntervalS?: readonly [number, number];
}

const DEFAULTS: Readonly<Required<ListenerMotionOptions>> = Object.freeze({
  seed: 1,
  rampFrames: 8,
  nodRadians: 0.09,
  nodIntervalS: [1.6, 3.4] as const,
});
/** A nod lasts this many frames (one dip down and back). */
const NOD_FRAMES = 14;
/** Attentive pose while listening: a slight forward lean and head tilt, radians. */
const LEAN_PITCH = 0.035;
const TILT_ROLL = 0.045;
const SMILE = 0.12;
const BROW_RAISE = 0.25;
const MOUTH = /^(jaw|mouth)/;
const EYE_LOOK = /^eyeLook/;

/**
 * How the avatar listens: applied to the motion model's idle Controls while the user speaks
 * and the avatar does not. The mouth closes (every jaw and mouth shape but a light smile goes
 * to rest), the eyes turn to the camera (the user), the head faces the user with a slight
 * lean and tilt, and nods now and then (seeded), each nod with a small brow raise. Blends in
 * and out over `rampFrames`, so the change is never a jump. Pure: frame indices are time.
 *
 * @example
 * const listener = new ListenerMotion({ seed });
 * listener.listening = conversation.state === 'listening';
 * const shown = listener.apply(controls, frameIndex);
 */
export class ListenerMotion {
  readonly options: Readonly<Required<ListenerMotionOptions>>;
  /** Whether the avatar should listen now (set by the session each tick). */
  listening = false;
  #weight = 0;
  readonly #random: () => number;
  #nextNodFrame: number | undefined;
  #nodStart = Number.NEGATIVE_INFINITY;

  constructor(options: ListenerMotionOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.#random = mulberry32(this.options.seed);
  }

  /** How far listening is blended in, 0–1. */
  get weight(): number {
    return this.#weight;
  }

  /** The frame to show instead of `controls` (the same object when not listening). */
  apply(controls: ControlsFrame, frameIndex: number): ControlsFrame {
    const step = 1 / this.options.rampFrames;
    this.#weight = Math.min(1, Math.max(0, this.#weight + (this.listening ? step : -step)));
    if (!this.listening) this.#nextNodFrame = undefined;
    else this.#nextNodFrame ??= frameIndex + this.#pause() / 2;
    if (this.#weight === 0) return controls;
    if (this.listening && frameIndex >= (this.#nextNodFrame ?? Number.POSITIVE_INFINITY)) {
      this.#nodStart = frameIndex;
      this.#nextNodFrame = frameIndex + NOD_FRAMES + this.#pause();
    }
    return this.#shape(controls, this.#weight, this.#nod(frameIndex));
  }

  /** Pause before the next nod, frames. */
  #pause(): number {
    const [lo, hi] = this.options.nodIntervalS;
    return Math.round((lo + this.#random() * (hi - lo)) * 25);
  }

  /** 0–1 depth of the nod in progress (a raised-cosine dip), 0 when none. */
  #nod(frameIndex: number): number {
    const t = (frameIndex - this.#nodStart) / NOD_FRAMES;
    return t >= 0 && t <= 1 ? (1 - Math.cos(2 * Math.PI * t)) / 2 : 0;
  }

  #shape(c: ControlsFrame, w: number, nod: number): ControlsFrame {
    const blendshapes = { ...c.blendshapes };
    for (const name of Object.keys(blendshapes) as BlendshapeName[]) {
      if (MOUTH.test(name) || EYE_LOOK.test(name)) blendshapes[name] *= 1 - w;
    }
    blendshapes.mouthSmileLeft = Math.min(1, blendshapes.mouthSmileLeft + w * SMILE);
    blendshapes.mouthSmileRight = Math.min(1, blendshapes.mouthSmileRight + w * SMILE);
    blendshapes.browInnerUp = Math.min(1, blendshapes.browInnerUp + w * BROW_RAISE * nod);
    const keep = 1 - w;
    const head = {
      ...c.head,
      pitch: c.head.pitch + w * (LEAN_PITCH + this.options.nodRadians * nod),
      yaw: c.head.yaw * (1 - 0.7 * w),
      roll: c.head.roll * keep + w * TILT_ROLL,
    };
    // eye contact: the eyes counter-rotate the head so the gaze in the world meets the camera
    const yaw = w * clamp(-head.yaw);
    const pitch = w * clamp(-head.pitch);
    return {
      ...c,
      blendshapes,
      head,
      gaze: {
        leftYaw: c.gaze.leftYaw * keep + yaw,
        leftPitch: c.gaze.leftPitch * keep + pitch,
        rightYaw: c.gaze.rightYaw * keep + yaw,
        rightPitch: c.gaze.rightPitch * keep + pitch,
      },
    };
  }
}

/** Eye rotations stay within what eyes do comfortably, radians. */
function clamp(v: number): number {
  return Math.max(-0.3, Math.min(0.3, v));
}
