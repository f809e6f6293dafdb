/**
 * Power spectrum of a real frame of length N (a power of two) through one complex FFT of
 * length N/2 and the standard split step. Twiddles and bit-reversal are precomputed once
 * per size; the per-frame work allocates nothing.
 *
 * Written here rather than using Meyda's spectrum (which we keep as a cross-check and a
 * benchmark baseline): Meyda's FFT allocates arrays per frame and runs at ~270× real time
 * on the 2-core machine, under the 1000× target for the whole mel front-end.
 */
export class RealPowerSpectrum {
  readonly size: number;
  readonly #half: number;
  readonly #re: Float64Array;
  readonly #im: Float64Array;
  readonly #bitReverse: Uint32Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #splitCos: Float64Array;
  readonly #splitSin: Float64Array;

  constructor(size: number) {
    if (!(size >= 4 && (size & (size - 1)) === 0))
      throw new RangeError(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
    const half = size / 2;
    this.#half = half;
    this.#re = new Float64Array(half);
    this.#im = new Float64Array(half);
    this.#bitReverse = new Uint32Array(half);
    const bits = Math.log2(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.#bitReverse[i] = r;
    }
    this.#cos = new Float64Array(half / 2);
    this.#sin = new Float64Array(half / 2);
    for (let k = 0; k < half / 2; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / half);
      this.#sin[k] = Math.sin((2 * Math.PI * k) / half);
    }
    this.#splitCos = new Float64Array(half + 1);
    this.#splitSin = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.#splitCos[k] = Math.cos((2 * Math.PI * k) / size);
      this.#splitSin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * Writes |X[k]|² for k = 0..N/2 of the N-sample `frame` into `out` (length N/2 + 1).
   */
  compute(frame: ArrayLike<number>, out: Float64Array): void {
    const half = this.#half;
    const re = this.#re;
    const im = this.#im;
    const rev = this.#bitReverse;
    const cos = this.#cos;
    const sin = this.#sin;
    // Bit-reversed load fused with the first (twiddle-free) butterfly stage.
    for (let n = 0; n < half; n += 2) {
      const j0 = rev[n] as number;
      const j1 = rev[n + 1] as number;
      const ar = frame[2 * j0] as number;
      const ai = frame[2 * j0 + 1] as number;
      const br = frame[2 * j1] as number;
      const bi = frame[2 * j1 + 1] as number;
      re[n] = ar + br;
      im[n] = ai + bi;
      re[n + 1] = ar - br;
      im[n + 1] = ai - bi;
    }
    // Remaining radix-2 stages, two at a time (radix-2²): each pass loads four values,
    // applies the butterflies of stage `len` and stage `2 * len`, and stores them once.
    let len = 4;
    for (; 2 * len <= half; len <<= 2) {
      const quarter = len >> 1;
      const block = len << 1;
      const step1 = half / len;
      const step2 = half / block;
      for (let a = 0; a < quarter; a++) {
        const c1 = cos[a * step1] as number;
        const s1 = sin[a * step1] as number;
        const c2 = cos[a * step2] as number;
        const s2 = sin[a * step2] as number;
        const c3 = cos[(a + quarter) * step2] as number;
        const s3 = sin[(a + quarter) * step2] as number;
        for (let base = a; base < half; base += block) {
          const p1 = base + quarter;
          const p2 = base + len;
          const p3 = p2 + quarter;
          // stage len: (p0, p1) and (p2, p3), twiddle W_len^a
          let xr = re[p1] as number;
          let xi = im[p1] as number;
          let tr = xr * c1 + xi * s1;
          let ti = xi * c1 - xr * s1;
          const r0 = (re[base] as number) + tr;
          const i0 = (im[base] as number) + ti;
          const r1 = (re[base] as number) - tr;
          const i1 = (im[base] as number) - ti;
          xr = re[p3] as number;
          xi = im[p3] as number;
          tr = xr * c1 + xi * s1;
          ti = xi * c1 - xr * s1;
          const r2 = (re[p2] as number) + tr;
          const i2 = (im[p2] as number) + ti;
          const r3 = (re[p2] as number) - tr;
          const i3 = (im[p2] as number) - ti;
          // stage 2·len: (p0, p2) with W^a, (p1, p3) with W^(a + quarter)
          tr = r2 * c2 + i2 * s2;
          ti = i2 * c2 - r2 * s2;
          re[base] = r0 + tr;
          im[base] = i0 + ti;
          re[p2] = r0 - tr;
          im[p2] = i0 - ti;
          tr = r3 * c3 + i3 * s3;
          ti = i3 * c3 - r3 * s3;
          re[p1] = r1 + tr;
          im[p1] = i1 + ti;
          re[p3] = r1 - tr;
          im[p3] = i1 - ti;
        }
      }
    }
    for (; len <= half; len <<= 1) {
      const step = half / len;
      const halfLen = len >> 1;
      for (let k = 0; k < halfLen; k++) {
        const c = cos[k * step] as number;
        const s = sin[k * step] as number;
        for (let a = k; a < half; a += len) {
          const b = a + halfLen;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = br * c + bi * s;
          const ti = bi * c - br * s;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
    }
    const splitCos = this.#splitCos;
    const splitSin = this.#splitSin;
    const mask = half - 1;
    for (let k = 0; k <= half; k++) {
      const kk = k & mask;
      const m = (half - k) & mask;
      const zr = re[kk] as number;
      const zi = im[kk] as number;
      const wr = re[m] as number;
      const wi = im[m] as number;
      const er = 0.5 * (zr + wr);
      const ei = 0.5 * (zi - wi);
      const or = 0.5 * (zi + wi);
      const oi = 0.5 * (wr - zr);
      const c = splitCos[k] as number;
      const s = splitSin[k] as number;
      const xr = er + c * or + s * oi;
      const xi = ei + c * oi - s * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}
