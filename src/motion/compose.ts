import {
  ARKIT_BLENDSHAPES,
  BLENDSHAPE_COUNT,
  BLENDSHAPE_INDEX,
  type Blendshapes,
  type ControlsFrame,
} from '../controls/index.ts';
import { IdleLife, type IdleOptions } from './idle.ts';
import { GAZE_OFFSET, HEAD_OFFSET, MOTION_OUTPUT_COUNT } from './layout.ts';

/** Gaze angle (radians) that maps to an eyeLook* weight of 1. */
const EYE_LOOK_FULL_RAD = 0.5;
const MAX_HEAD_RAD = 0.6;
const MAX_GAZE_RAD = 0.6;
const B = BLENDSHAPE_INDEX;

/** Options for {@link ControlsComposer}. */
export interface ComposeOptions {
  /** Add seeded idle life (blinks, head sway, gaze shifts, breathing). Default true. */
  idle?: boolean;
  /** Seed of the idle motion. Default 1. */
  seed?: number;
  /** Further idle statistics (blink rate, sway amplitude…). */
  idleOptions?: Omit<IdleOptions, 'seed'>;
  /**
   * Gain on the mouth-opening channels ({@link MOUTH_OPENING}) before clamping: the model
   * regresses the opening towards its mean, so its mouths move less than real ones. Default 1;
   * the motion model passes its calibrated gain.
   */
  mouthGain?: number;
  /**
   * Soft ceiling of the mouth's opening, E (0 = none: the gained channels are clamped at 1).
   * With E > 0 the frame's gained jaw x = mouthGain · jawOpen becomes
   * 1 − exp(−E · max(0, x − mouthGate)), and every mouth-opening channel is scaled by the same
   * factor, so the mouth keeps its shape: openings just above the gate grow up to E times (the
   * renderers show a mouth opened less than ~2 mm as closed), wide ones approach 1 without a
   * hard clip, and the frames of one voice vary more like a real speaker's.
   * Default 0; the motion model passes its calibrated value.
   */
  mouthSoftCeiling?: number;
  /**
   * With the soft ceiling: the gained jaw under which the mouth stays shut (the model's jaw in
   * silence is not quite 0, and the ceiling would open it E times). Default 0.
   */
  mouthGate?: number;
}

/** The channels that open the lips: the jaw, the lips' vertical shapes and mouthClose (a fraction of the jaw). */
export const MOUTH_OPENING = [
  'jawOpen',
  'mouthClose',
  'mouthLowerDownLeft',
  'mouthLowerDownRight',
  'mouthUpperUpLeft',
  'mouthUpperUpRight',
] as const;
const MOUTH_OPENING_INDEX = MOUTH_OPENING.map((name) => BLENDSHAPE_INDEX[name]);

/**
 * Turns raw model rows into Controls frames: clamps weights to [0, 1], adds the seeded idle
 * layer (blinks max-combined with the model's, one closure for both eyes; head and gaze
 * offsets added), derives the
 * eyeLook* weights from gaze, and lifts the shoulders with the breath. Deterministic given the
 * seed and the frame sequence.
 */
export class ControlsComposer {
  readonly #idle: IdleLife | undefined;
  /** Causal smoothing of mouth activity, which scales idle head sway while speaking. */
  #activity = 0;
  readonly #mouthGain: number;
  readonly #softCeiling: number;
  readonly #gate: number;

  constructor(options: ComposeOptions = {}) {
    this.#mouthGain = options.mouthGain ?? 1;
    this.#softCeiling = options.mouthSoftCeiling ?? 0;
    this.#gate = options.mouthGate ?? 0;
    this.#idle =
      options.idle === false
        ? undefined
        : new IdleLife({ ...options.idleOptions, seed: options.seed ?? 1 });
  }

  /** Restarts the idle sequence (same seed → same motion from frame 0). */
  reset(): void {
    this.#idle?.reset();
    this.#activity = 0;
  }

  /** Frames for `count` rows of `data` (MOTION_OUTPUTS order). */
  compose(data: Float32Array, count: number): ControlsFrame[] {
    const frames: ControlsFrame[] = new Array(count);
    for (let i = 0; i < count; i++) frames[i] = this.#frame(data, i * MOTION_OUTPUT_COUNT);
    return frames;
  }

  #frame(data: Float32Array, o: number): ControlsFrame {
    const w = new Float64Array(BLENDSHAPE_COUNT);
    for (let c = 0; c < BLENDSHAPE_COUNT; c++) w[c] = data[o + c] as number;
    // Idle life follows the model's own jaw (before the gain), as it was tuned.
    const rawJaw = clamp(w[B.jawOpen] as number, 0, 1);
    const gain =
      this.#mouthGain *
      openingFactor(this.#mouthGain * (w[B.jawOpen] as number), this.#softCeiling, this.#gate);
    for (const c of MOUTH_OPENING_INDEX) w[c] = (w[c] as number) * gain;
    for (let c = 0; c < BLENDSHAPE_COUNT; c++) w[c] = clamp(w[c] as number, 0, 1);
    let pitch = data[o + HEAD_OFFSET] as number;
    let yaw = data[o + HEAD_OFFSET + 1] as number;
    let roll = data[o + HEAD_OFFSET + 2] as number;
    let leftYaw = data[o + GAZE_OFFSET] as number;
    let leftPitch = data[o + GAZE_OFFSET + 1] as number;
    let rightYaw = data[o + GAZE_OFFSET + 2] as number;
    let rightPitch = data[o + GAZE_OFFSET + 3] as number;
    let breath = 0;
    this.#activity += 0.1 * (clamp((rawJaw - 0.05) / 0.15, 0, 1) - this.#activity);
    // Both eyes blink together: the model's two blink outputs are one closure (their max),
    // so a model that closes one lid more than the other cannot make a wink.
    let blink = Math.max(w[B.eyeBlinkLeft] as number, w[B.eyeBlinkRight] as number);
    if (this.#idle) {
      const idle = this.#idle.next(this.#activity);
      blink = Math.max(blink, idle.blink);
      pitch += idle.pitch;
      yaw += idle.yaw;
      roll += idle.roll;
      leftYaw += idle.gazeYaw;
      rightYaw += idle.gazeYaw;
      leftPitch += idle.gazePitch;
      rightPitch += idle.gazePitch;
      breath = idle.breath;
    }
    w[B.eyeBlinkLeft] = blink;
    w[B.eyeBlinkRight] = blink;
    leftYaw = clamp(leftYaw, -MAX_GAZE_RAD, MAX_GAZE_RAD);
    rightYaw = clamp(rightYaw, -MAX_GAZE_RAD, MAX_GAZE_RAD);
    leftPitch = clamp(leftPitch, -MAX_GAZE_RAD, MAX_GAZE_RAD);
    rightPitch = clamp(rightPitch, -MAX_GAZE_RAD, MAX_GAZE_RAD);
    // Gaze yaw > 0 turns both eyes to the subject's left: the left eye looks out, the right in.
    look(w, B.eyeLookOutLeft, leftYaw);
    look(w, B.eyeLookInLeft, -leftYaw);
    look(w, B.eyeLookInRight, rightYaw);
    look(w, B.eyeLookOutRight, -rightYaw);
    look(w, B.eyeLookDownLeft, leftPitch);
    look(w, B.eyeLookUpLeft, -leftPitch);
    look(w, B.eyeLookDownRight, rightPitch);
    look(w, B.eyeLookUpRight, -rightPitch);
    const blendshapes = {} as Blendshapes;
    for (let c = 0; c < BLENDSHAPE_COUNT; c++)
      blendshapes[ARKIT_BLENDSHAPES[c] as keyof Blendshapes] = w[c] as number;
    const lift = { x: 0, y: -breath, z: 0 };
    const zero = { x: 0, y: 0, z: 0 };
    return {
      blendshapes,
      head: {
        pitch: clamp(pitch, -MAX_HEAD_RAD, MAX_HEAD_RAD),
        yaw: clamp(yaw, -MAX_HEAD_RAD, MAX_HEAD_RAD),
        roll: clamp(roll, -MAX_HEAD_RAD, MAX_HEAD_RAD),
        x: 0,
        y: 0,
        z: 0,
      },
      gaze: { leftYaw, leftPitch, rightYaw, rightPitch },
      body: {
        neck: { pitch: 0, yaw: 0, roll: 0 },
        leftShoulder: lift,
        rightShoulder: { ...lift },
        leftElbow: zero,
        rightElbow: { ...zero },
        leftWrist: { ...zero },
        rightWrist: { ...zero },
      },
      faceFound: true,
    };
  }
}

function look(w: Float64Array, index: number, angle: number): void {
  w[index] = Math.max(w[index] as number, clamp(angle / EYE_LOOK_FULL_RAD, 0, 1));
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : 0;
}

/**
 * The factor on the gained mouth-opening channels of a frame whose gained jaw is `x`
 * (see {@link ComposeOptions.mouthSoftCeiling}): 1 without a ceiling (E = 0), else
 * (1 − exp(−E · max(0, x − gate))) / x, so that the jaw becomes 1 − exp(−E · max(0, x − gate));
 * a closed jaw takes the curve's slope at 0 (E, or 0 with a gate).
 */
export function openingFactor(x: number, softCeiling: number, gate = 0): number {
  if (softCeiling <= 0) return 1;
  if (x <= 1e-6) return gate > 0 ? 0 : softCeiling;
  return (1 - Math.exp(-softCeiling * Math.max(0, x - gate))) / x;
}
