import { BODY_JOINTS, CONTROLS_FPS, type ControlsFrame } from '../controls/index.ts';
import { mulberry32 } from '../motion/index.ts';
import { BODY_AUDIO_FEATURES } from './layout.ts';

/**
 * Torso sway: the slow side-to-side drift of the shoulders that real speakers show (shoulder
 * midpoint SD 0.2–1.5 % of the frame width, median 0.55 %, over the 17 train-body clips)
 * and the body model leaves out (it regresses the unpredictable sway to its mean: 0.0004
 * shoulder widths SD). A rule, not learned: a seeded first-order Gauss–Markov process (time
 * constant {@link SWAY_TAU_S}) scaled between an idle and a speaking amplitude by the
 * smoothed loudness — people sway more while they talk — added to both shoulders alike
 * (the torso moves as one; the model's own shoulder motion stays on top), and to the elbows
 * and wrists it carries (else the renderer's limb pass would swing a photo's arms about
 * still elbows).
 */

/** Time constant of the sway, s. */
export const SWAY_TAU_S = 1.6;
/** Sway SD while silent and while speaking, in shoulder widths (≈ 0.25 % and 0.6 % of a frame whose shoulders span 35 % of it). */
export const SWAY_IDLE = 0.007;
export const SWAY_SPEAKING = 0.018;
/** Time constant of the loudness smoothing that sets the amplitude, s. */
const ACTIVITY_TAU_S = 1.0;

export class TorsoSway {
  readonly #rng: () => number;
  readonly #a = Math.exp(-1 / (CONTROLS_FPS * SWAY_TAU_S));
  readonly #k = 1 - Math.exp(-1 / (CONTROLS_FPS * ACTIVITY_TAU_S));
  #state: number;
  #activity = 0;

  constructor(seed: number) {
    // A different stream from the model's noise inputs for the same seed.
    this.#rng = mulberry32((seed * 2654435761 + 97) >>> 0);
    this.#state = this.#gauss();
  }

  /**
   * Adds the next frame's sway to `frame`'s shoulders and arms, given its audio feature row
   * (`features` at `offset`, loudness first; undefined past the audio = silence).
   */
  apply(frame: ControlsFrame, features?: Float32Array, offset = 0): void {
    const loud =
      features && offset + BODY_AUDIO_FEATURES <= features.length
        ? (features[offset] as number)
        : 0;
    this.#activity += (loud - this.#activity) * this.#k;
    const amplitude = SWAY_IDLE + (SWAY_SPEAKING - SWAY_IDLE) * Math.min(1, 1.6 * this.#activity);
    const x = amplitude * this.#state;
    this.#state = this.#a * this.#state + Math.sqrt(1 - this.#a * this.#a) * this.#gauss();
    const body = frame.body;
    // Every body joint: the shoulders and the arms they carry.
    for (const joint of BODY_JOINTS) body[joint] = { ...body[joint], x: body[joint].x + x };
  }

  #gauss(): number {
    const u = Math.max(this.#rng(), 1e-12);
    const v = this.#rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
