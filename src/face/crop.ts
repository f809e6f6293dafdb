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
  const { width: w, height: h, data } = image;
  const { size, scale, bias } = o;
  const zero = o.edge === 'zero';
  let k = offset;
  for (let row = 0; row < size; row++) {
    for (let c = 0; c < size; c++) {
      const col = o.flip ? size - 1 - c : c;
      let x = grid.x0 + col * grid.dxCol + row * grid.dxRow;
      let y = grid.y0 + col * grid.dyCol + row * grid.dyRow;
      if (zero && (x < 0 || y < 0 || x > w - 1 || y > h - 1)) {
        out[k] = bias;
        out[k + 1] = bias;
        out[k + 2] = bias;
        k += 3;
        continue;
      }
      x = Math.min(Math.max(x, 0), w - 1);
      y = Math.min(Math.max(y, 0), h - 1);
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      const fx = x - xi;
      const fy = y - yi;
      const x1 = xi + 1 < w ? xi + 1 : xi;
      const y1 = yi + 1 < h ? yi + 1 : yi;
      const p00 = (yi * w + xi) * 3;
      const p01 = (yi * w + x1) * 3;
      const p10 = (y1 * w + xi) * 3;
      const p11 = (y1 * w + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = (data[p00 + ch] as number) * (1 - fx) + (data[p01 + ch] as number) * fx;
        const bottom = (data[p10 + ch] as number) * (1 - fx) + (data[p11 + ch] as number) * fx;
        out[k + ch] = (top + (bottom - top) * fy) * scale + bias;
      }
      k += 3;
    }
  }
}

/** The grid of tfjs `resizeBilinear(image, [size, size])` (no corner alignment, no half-pixel offset). */
export function resizeGrid(width: number, height: number, size: number): SampleGrid {
  return { x0: 0, y0: 0, dxCol: width / size, dyCol: 0, dxRow: 0, dyRow: height / size };
}
