import type { RgbImage } from './landmarker.ts';

/**
 * An affine sampling grid: output pixel (col, row) reads the image at
 * x = x0 + col·dxCol + row·dxRow, y = y0 + col·dyCol + row·dyRow (pixel units, pixel centres
 * at integers, as tfjs's resize and cropAndResize sample).
 */
export interface SampleGrid {
  x0: number;
  y0: number;
  dxCol: number;
  dyCol: number;
  dxRow: number;
  dyRow: number;
}

/** How {@link sampleRgb} writes its output. */
export interface SampleOptions {
  /** Output side, px (square). */
  size: number;
  /** Each value is written as v·scale + bias (v in 0–255). */
  scale: number;
  bias: number;
  /**
   * Outside the image: `'clamp'` repeats the edge (tfjs resizeBilinear), `'zero'` writes v = 0
   * (tfjs cropAndResize's extrapolation value).
   */
  edge: 'clamp' | 'zero';
  /** Mirror the output left ↔ right. Default false. */
  flip?: boolean;
}

/**
 * Bilinear sampling of an RGB image on an affine grid into a float NHWC buffer at `offset`
 * (size × size × 3 values). One routine for the detector's resize, the face crop (rotated) and
 * the eye crops.
 */
export function sampleRgb(
  image: RgbImage,
  grid: SampleGrid,
  o: SampleOptions,
  out: Float32Array,
  offset = 0,
): void {
  const { size, scale, bias } = o;
  const flip = o.flip === true;
  const zero = o.edge === 'zero';
  const { x0, y0, dxCol, dyCol, dxRow, dyRow } = grid;
  const w = image.width;
  const h = image.height;
  const data = image.data;
  const xMax = w - 1;
  const yMax = h - 1;
  const stride = w * 3;
  let k = offset;
  for (let row = 0; row < size; row++) {
    // every value as the per-channel formulation computes it: the image point
    // (x0 + col·dxCol + row·dxRow, y0 + col·dyCol + row·dyRow), then
    // ((top + (bottom − top)·fy)·scale + bias, top and bottom mixing across by fx)
    const rowX = row * dxRow;
    const rowY = row * dyRow;
    for (let c = 0; c < size; c++, k += 3) {
      const col = flip ? size - 1 - c : c;
      let x = x0 + col * dxCol + rowX;
      let y = y0 + col * dyCol + rowY;
      if (zero && (x < 0 || y < 0 || x > xMax || y > yMax)) {
        out[k] = bias;
        out[k + 1] = bias;
        out[k + 2] = bias;
        continue;
      }
      x = Math.min(Math.max(x, 0), xMax);
      y = Math.min(Math.max(y, 0), yMax);
      const xi = x | 0; // x, y ≥ 0 here: the floor
      const yi = y | 0;
      const fx = x - xi;
      const fy = y - yi;
      const gx = 1 - fx;
      const p00 = (yi * w + xi) * 3;
      const p01 = xi < xMax ? p00 + 3 : p00;
      const p10 = yi < yMax ? p00 + stride : p00;
      const p11 = p10 + (p01 - p00);
      const t0 = (data[p00] as number) * gx + (data[p01] as number) * fx;
      const b0 = (data[p10] as number) * gx + (data[p11] as number) * fx;
      out[k] = (t0 + (b0 - t0) * fy) * scale + bias;
      const t1 = (data[p00 + 1] as number) * gx + (data[p01 + 1] as number) * fx;
      const b1 = (data[p10 + 1] as number) * gx + (data[p11 + 1] as number) * fx;
      out[k + 1] = (t1 + (b1 - t1) * fy) * scale + bias;
      const t2 = (data[p00 + 2] as number) * gx + (data[p01 + 2] as number) * fx;
      const b2 = (data[p10 + 2] as number) * gx + (data[p11 + 2] as number) * fx;
      out[k + 2] = (t2 + (b2 - t2) * fy) * scale + bias;
    }
  }
}

/** The grid of tfjs `resizeBilinear(image, [size, size])` (no corner alignment, no half-pixel offset). */
export function resizeGrid(width: number, height: number, size: number): SampleGrid {
  return { x0: 0, y0: 0, dxCol: width / size, dyCol: 0, dxRow: 0, dyRow: height / size };
}
