/** One-Euro filter parameters (Casiez, Roussel & Vogel, CHI 2012). */
export interface OneEuroParams {
  /** Cut-off at rest, Hz: lower = smoother when still. */
  minCutoffHz: number;
  /** Speed coefficient: higher = less lag when moving fast (cut-off grows with speed). */
  beta: number;
  /** Cut-off of the speed estimate, Hz. */
  derivativeCutoffHz: number;
}

/**
 * One-Euro filter over a vector of channels sampled at a fixed rate: an exponential
 * smoother whose cut-off rises with the signal's speed, so slow jitter is removed while fast
 * motion (a blink, a plosive) keeps its timing. Causal; `reset()` after a gap.
 */
export class OneEuroFilter {
  readonly #params: OneEuroParams;
  readonly #dtSec: number;
  #x: Float64Array | undefined;
  #dx: Float64Array;

  constructor(channels: number, rateHz: number, params: OneEuroParams) {
    this.#params = params;
    this.#dtSec = 1 / rateHz;
    this.#dx = new Float64Array(channels);
  }

  /** Filters one sample in place (values are replaced by their smoothed version). */
  process(values: Float64Array): Float64Array {
    const x = this.#x;
    if (!x) {
      this.#x = Float64Array.from(values);
      this.#dx.fill(0);
      return values;
    }
    const { minCutoffHz, beta, derivativeCutoffHz } = this.#params;
    const aD = alpha(derivativeCutoffHz, this.#dtSec);
    for (let i = 0; i < values.length; i++) {
      const prev = x[i] as number;
      const raw = values[i] as number;
      const dx = aD * ((raw - prev) / this.#dtSec) + (1 - aD) * (this.#dx[i] as number);
      this.#dx[i] = dx;
      const a = alpha(minCutoffHz + beta * Math.abs(dx), this.#dtSec);
      const next = a * raw + (1 - a) * prev;
      x[i] = next;
      values[i] = next;
    }
    return values;
  }

  reset(): void {
    this.#x = undefined;
  }
}

function alpha(cutoffHz: number, dtSec: number): number {
  const tau = 1 / (2 * Math.PI * cutoffHz);
  return 1 / (1 + tau / dtSec);
}
