import type { RgbImage } from '../render/index.ts';
import { EvaluationError } from './errors.ts';

/** A pixel rectangle (integers, clipped to the frame when used). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** PSNR (dB) of a mean squared error on 0–255 values; Infinity for 0. */
export function psnrFromMse(mse: number): number {
  return mse <= 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/** Gaussian window of SSIM (Wang et al. 2004): 11 taps, σ = 1.5. */
const SSIM_TAPS = (() => {
  const taps = new Float32Array(11);
  let sum = 0;
  for (let i = 0; i < 11; i++) {
    taps[i] = Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5));
    sum += taps[i] as number;
  }
  for (let i = 0; i < 11; i++) taps[i] = (taps[i] as number) / sum;
  return taps;
})();
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** BT.601 luma of every pixel, 0–255. */
export function lumaOf(image: RgbImage, out: Float32Array): Float32Array {
  const d = image.data;
  for (let p = 0, o = 0; p < out.length; p++, o += 3)
    out[p] = 0.299 * (d[o] as number) + 0.587 * (d[o + 1] as number) + 0.114 * (d[o + 2] as number);
  return out;
}

/**
 * Scores frames against the real ones: mean squared error over RGB (→ PSNR) and SSIM of the
 * luma (11-tap Gaussian window σ 1.5, K1 0.01, K2 0.03, "valid" border: windows wholly inside
 * the image or region), each over the whole frame or a region. Buffers are allocated once
 * per frame size.
 */
export class FrameScorer {
  readonly width: number;
  readonly height: number;
  readonly #a: Float32Array;
  readonly #b: Float32Array;
  /** Gaussian-filtered a, b, a², b², ab (5 planes) and a horizontal-pass scratch. */
  readonly #maps: Float32Array[];
  readonly #tmp: Float32Array;
  /** a, b, a², b², ab before filtering. */
  readonly #src: Float32Array[];

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    const n = width * height;
    this.#a = new Float32Array(n);
    this.#b = new Float32Array(n);
    this.#maps = Array.from({ length: 5 }, () => new Float32Array(n));
    this.#tmp = new Float32Array(n);
    this.#src = Array.from({ length: 5 }, () => new Float32Array(n));
  }

  /** `{ mse, ssim }` of `output` vs `real` over `region` (default: the whole frame). */
  score(output: RgbImage, real: RgbImage, region?: Region): { mse: number; ssim: number } {
    const { width, height } = this;
    for (const img of [output, real]) {
      if (img.width !== width || img.height !== height)
        throw new EvaluationError(
          'EVAL_BAD_FRAMES',
          `frame is ${img.width}×${img.height}, scorer ${width}×${height}`,
        );
    }
    const r = clip(region ?? { x: 0, y: 0, width, height }, width, height);
    let se = 0;
    const od = output.data;
    const rd = real.data;
    for (let y = r.y; y < r.y + r.height; y++) {
      for (let o = (y * width + r.x) * 3, end = o + r.width * 3; o < end; o++) {
        const d = (od[o] as number) - (rd[o] as number);
        se += d * d;
      }
    }
    const mse = se / Math.max(1, r.width * r.height * 3);
    return { mse, ssim: this.#ssim(output, real, r) };
  }

  #ssim(output: RgbImage, real: RgbImage, r: Region): number {
    const a = lumaOf(output, this.#a);
    const b = lumaOf(real, this.#b);
    const [ma, mb, aa, bb, ab] = this.#maps as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const w = this.width;
    // Only windows wholly inside the region: centres from r.x + 5 to r.x + r.width − 6.
    const x0 = r.x + 5;
    const x1 = r.x + r.width - 5;
    const y0 = r.y + 5;
    const y1 = r.y + r.height - 5;
    if (x1 <= x0 || y1 <= y0) return Number.NaN;
    const src = this.#src;
    for (let p = 0; p < a.length; p++) {
      const va = a[p] as number;
      const vb = b[p] as number;
      (src[0] as Float32Array)[p] = va;
      (src[1] as Float32Array)[p] = vb;
      (src[2] as Float32Array)[p] = va * va;
      (src[3] as Float32Array)[p] = vb * vb;
      (src[4] as Float32Array)[p] = va * vb;
    }
    const tmp = this.#tmp;
    for (let m = 0; m < 5; m++) {
      const from = src[m] as Float32Array;
      const dst = this.#maps[m] as Float32Array;
      // Horizontal pass over the rows windows need, then vertical at the window centres.
      for (let y = r.y; y < r.y + r.height; y++) {
        for (let x = x0; x < x1; x++) {
          const c = y * w + x - 5;
          let sum = 0;
          for (let k = 0; k < 11; k++) sum += (SSIM_TAPS[k] as number) * (from[c + k] as number);
          tmp[c + 5] = sum;
        }
      }
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          let sum = 0;
          for (let k = 0; k < 11; k++)
            sum += (SSIM_TAPS[k] as number) * (tmp[(y + k - 5) * w + x] as number);
          dst[y * w + x] = sum;
        }
      }
    }
    let sum = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const p = y * w + x;
        const mua = ma[p] as number;
        const mub = mb[p] as number;
        const va = (aa[p] as number) - mua * mua;
        const vb = (bb[p] as number) - mub * mub;
        const cov = (ab[p] as number) - mua * mub;
        sum +=
          ((2 * mua * mub + C1) * (2 * cov + C2)) / ((mua * mua + mub * mub + C1) * (va + vb + C2));
      }
    }
    return sum / ((x1 - x0) * (y1 - y0));
  }
}

/** A real-video pixel is static when its 3 × 3-averaged luma change is at most this (0–255). */
export const STATIC_LUMA_DELTA = 2;

/**
 * Temporal flicker: the mean absolute frame-to-frame luma change of the output (0–255) over
 * the pixels where the real video is static ({@link STATIC_LUMA_DELTA}), averaged over frame
 * pairs. Any change there is flicker or motion the real video does not have. Feed frames in
 * order; `value` is NaN until two frames were pushed.
 */
export class FlickerMeter {
  readonly #width: number;
  readonly #height: number;
  readonly #prevReal: Float32Array;
  readonly #prevOut: Float32Array;
  readonly #real: Float32Array;
  readonly #out: Float32Array;
  readonly #delta: Float32Array;
  #frames = 0;
  #sum = 0;
  #pairs = 0;
  #staticFraction = 0;

  constructor(width: number, height: number) {
    this.#width = width;
    this.#height = height;
    const n = width * height;
    this.#prevReal = new Float32Array(n);
    this.#prevOut = new Float32Array(n);
    this.#real = new Float32Array(n);
    this.#out = new Float32Array(n);
    this.#delta = new Float32Array(n);
  }

  push(output: RgbImage, real: RgbImage): void {
    lumaOf(real, this.#real);
    lumaOf(output, this.#out);
    if (this.#frames > 0) {
      const w = this.#width;
      const h = this.#height;
      const d = this.#delta;
      for (let p = 0; p < d.length; p++)
        d[p] = Math.abs((this.#real[p] as number) - (this.#prevReal[p] as number));
      let sum = 0;
      let count = 0;
      for (let y = 1; y < h - 1; y++) {
        for (let x = 1; x < w - 1; x++) {
          const p = y * w + x;
          let m = 0;
          for (let dy = -w; dy <= w; dy += w)
            m += (d[p + dy - 1] as number) + (d[p + dy] as number) + (d[p + dy + 1] as number);
          if (m / 9 > STATIC_LUMA_DELTA) continue;
          sum += Math.abs((this.#out[p] as number) - (this.#prevOut[p] as number));
          count++;
        }
      }
      if (count > 0) {
        this.#sum += sum / count;
        this.#pairs++;
        this.#staticFraction += count / ((w - 2) * (h - 2));
      }
    }
    this.#prevReal.set(this.#real);
    this.#prevOut.set(this.#out);
    this.#frames++;
  }

  /** Mean flicker over the frame pairs so far (0–255 luma levels). */
  get value(): number {
    return this.#pairs ? this.#sum / this.#pairs : Number.NaN;
  }

  /** Mean fraction of pixels that counted as static. */
  get staticFraction(): number {
    return this.#pairs ? this.#staticFraction / this.#pairs : Number.NaN;
  }
}

function clip(r: Region, width: number, height: number): Region {
  const x = Math.max(0, Math.min(width, Math.round(r.x)));
  const y = Math.max(0, Math.min(height, Math.round(r.y)));
  return {
    x,
    y,
    width: Math.max(0, Math.min(width, Math.round(r.x + r.width)) - x),
    height: Math.max(0, Math.min(height, Math.round(r.y + r.height)) - y),
  };
}
