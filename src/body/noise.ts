import { CONTROLS_FPS } from '../controls/index.ts';
import { mulberry32 } from '../motion/index.ts';
import { BODY_NOISE_CHANNELS } from './layout.ts';

/** Time constant of the noise channels, s: gestures and sway evolve over about half a second. */
export const BODY_NOISE_TAU_S = 0.6;

/**
 * The body model's seeded noise inputs: {@link BODY_NOISE_CHANNELS} independent first-order
 * Gauss–Markov processes (unit variance, time constant {@link BODY_NOISE_TAU_S}), one value
 * per channel per video frame. The trainer feeds the same process, so a seed picks one of the
 * ways the same speech can gesture. Also the idle-sway baseline's source.
 */
export class BodyNoise {
  readonly #rng: () => number;
  readonly #state = new Float64Array(BODY_NOISE_CHANNELS);
  readonly #a = Math.exp(-1 / (CONTROLS_FPS * BODY_NOISE_TAU_S));
  #spare: number | undefined;

  constructor(seed: number) {
    this.#rng = mulberry32(seed);
    for (let c = 0; c < BODY_NOISE_CHANNELS; c++) this.#state[c] = this.#gauss();
  }

  /** Writes the next frame's values into `out` at `offset` (the first frame is the initial state). */
  next(out: Float32Array, offset = 0): void {
    const b = Math.sqrt(1 - this.#a * this.#a);
    for (let c = 0; c < BODY_NOISE_CHANNELS; c++) {
      out[offset + c] = this.#state[c] as number;
      this.#state[c] = this.#a * (this.#state[c] as number) + b * this.#gauss();
    }
  }

  #gauss(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    const u = Math.max(this.#rng(), 1e-12);
    const v = this.#rng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}
