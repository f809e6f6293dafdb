import { type MouthAxes, profileAt } from './lips.ts';

/** Size of one stored mouth interior, px (the mouth's own frame, resampled). */
export const PATCH_WIDTH = 64;
export const PATCH_HEIGHT = 48;
/** The patch covers u ∈ [−0.05, 1.05] along the mouth and v ∈ [−0.35, 0.55] across it (mouth widths). */
const U0 = -0.05;
const U1 = 1.05;
const V0 = -0.35;
const V1 = 0.55;

/** An RGB picture to sample: width × height × 3 bytes. */
export interface RgbView {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Bilinear RGB at (x, y) px (pixel centres at integers; clamped at the borders) into `out`. */
export function sampleRgb(image: RgbView, x: number, y: number, out: Float32Array): void {
  const w = image.width;
  const h = image.height;
  const cx = Math.min(w - 1, Math.max(0, x));
  const cy = Math.min(h - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(w - 1, x0 + 1);
  const y1 = Math.min(h - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const d = image.data;
  for (let c = 0; c < 3; c++) {
    const a =
      (d[(y0 * w + x0) * 3 + c] as number) * (1 - fx) + (d[(y0 * w + x1) * 3 + c] as number) * fx;
    const b =
      (d[(y1 * w + x0) * 3 + c] as number) * (1 - fx) + (d[(y1 * w + x1) * 3 + c] as number) * fx;
    out[c] = a * (1 - fy) + b * fy;
  }
}

/** Image px of mouth-unit point (u, v). */
export function imagePoint(axes: MouthAxes, u: number, v: number): [number, number] {
  const w = axes.widthPx;
  return [axes.ox + w * (u * axes.ux + v * axes.vx), axes.oy + w * (u * axes.uy + v * axes.vy)];
}

/** Patch px of mouth-unit point (u, v). */
export function patchPoint(u: number, v: number): [number, number] {
  return [((u - U0) / (U1 - U0)) * PATCH_WIDTH - 0.5, ((v - V0) / (V1 - V0)) * PATCH_HEIGHT - 0.5];
}

/** Resamples the mouth region of `image` into a patch in the mouth's own frame. */
export function extractPatch(image: RgbView, axes: MouthAxes): Uint8Array {
  const out = new Uint8Array(PATCH_WIDTH * PATCH_HEIGHT * 3);
  const rgb = new Float32Array(3);
  for (let py = 0; py < PATCH_HEIGHT; py++) {
    const v = V0 + ((py + 0.5) / PATCH_HEIGHT) * (V1 - V0);
    for (let px = 0; px < PATCH_WIDTH; px++) {
      const u = U0 + ((px + 0.5) / PATCH_WIDTH) * (U1 - U0);
      const [x, y] = imagePoint(axes, u, v);
      sampleRgb(image, x, y, rgb);
      const o = (py * PATCH_WIDTH + px) * 3;
      out[o] = rgb[0] as number;
      out[o + 1] = rgb[1] as number;
      out[o + 2] = rgb[2] as number;
    }
  }
  return out;
}

/**
 * Mean colour of the lips next to the opening (a band 0.06 mouth widths deep above the upper
 * and below the lower inner contour, middle 70 % of the mouth), sampled through `at(u, v)`.
 * Both the bank's patches and the target frame are measured this way, so their ratio is
 * the colour match.
 */
export function lipBandColour(
  upper: Float32Array,
  lower: Float32Array,
  at: (u: number, v: number, out: Float32Array) => void,
): Float32Array {
  const sum = new Float32Array(3);
  const rgb = new Float32Array(3);
  let n = 0;
  for (let i = 0; i < 12; i++) {
    const u = 0.15 + (0.7 * (i + 0.5)) / 12;
    const up = profileAt(upper, u);
    const lo = profileAt(lower, u);
    for (const depth of [0.02, 0.04, 0.06]) {
      for (const v of [up - depth, lo + depth]) {
        at(u, v, rgb);
        sum[0] = (sum[0] as number) + (rgb[0] as number);
        sum[1] = (sum[1] as number) + (rgb[1] as number);
        sum[2] = (sum[2] as number) + (rgb[2] as number);
        n++;
      }
    }
  }
  for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) / n;
  return sum;
}
