/**
 * Temporal steadiness of the composite: small frame-to-frame changes (tracking or motion
 * jitter of a pixel or less, resampling shimmer) are low-passed, large ones (real motion,
 * the mouth opening) pass at once. Per pixel, with Δ the change of the new frame against the
 * kept state: state += Δ · k, k = {@link MIN_GAIN} + (1 − MIN_GAIN) · smoothstep(LOW, HIGH, |Δ|)
 * (Δ in 0–255 levels, largest channel). The state is float, so slow changes still arrive.
 * Reset on every full redraw (new reference: dubbing switches references every frame, so it
 * is never smoothed).
 */

/** Changes at or below this (levels) are damped most. */
const LOW = 1.5;
/** Changes at or above this (levels) pass unchanged. */
const HIGH = 10;
/** Share of a small change taken per frame (an exponential moving average). */
const MIN_GAIN = 0.3;

export class TemporalSteadier {
  readonly #state: Float32Array;
  #primed = false;

  constructor(width: number, height: number) {
    this.#state = new Float32Array(width * height * 3);
  }

  /** Forget the previous frames (the next frame passes unchanged). */
  reset(): void {
    this.#primed = false;
  }

  /**
   * Steadies `rgb` in place (width × height × 3, the size given at construction). With
   * `spans` (per row: first, last pixel inclusive) only those pixels can have changed.
   */
  apply(rgb: Uint8Array, width: number, spans?: Int32Array): void {
    const state = this.#state;
    if (!this.#primed) {
      for (let i = 0; i < rgb.length; i++) state[i] = rgb[i] as number;
      this.#primed = true;
      return;
    }
    const height = rgb.length / (width * 3);
    for (let y = 0; y < height; y++) {
      const x0 = spans ? (spans[y * 2] as number) : 0;
      const x1 = spans ? (spans[y * 2 + 1] as number) : width - 1;
      for (let o = (y * width + x0) * 3, end = (y * width + x1) * 3; o <= end; o += 3) {
        const d0 = (rgb[o] as number) - (state[o] as number);
        const d1 = (rgb[o + 1] as number) - (state[o + 1] as number);
        const d2 = (rgb[o + 2] as number) - (state[o + 2] as number);
        const m = Math.max(Math.abs(d0), Math.abs(d1), Math.abs(d2));
        let k = 1;
        if (m < HIGH) {
          const t = m <= LOW ? 0 : (m - LOW) / (HIGH - LOW);
          k = MIN_GAIN + (1 - MIN_GAIN) * t * t * (3 - 2 * t);
        }
        const s0 = (state[o] as number) + d0 * k;
        const s1 = (state[o + 1] as number) + d1 * k;
        const s2 = (state[o + 2] as number) + d2 * k;
        state[o] = s0;
        state[o + 1] = s1;
        state[o + 2] = s2;
        rgb[o] = s0 + 0.5;
        rgb[o + 1] = s1 + 0.5;
        rgb[o + 2] = s2 + 0.5;
      }
    }
  }
}
