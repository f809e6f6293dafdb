/**
 * Packed 8-bit RGB image, rows top to bottom, `data.length === width * height * 3`.
 * The frame type the renderer consumes and produces (and the encoder accepts).
 */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A new black RGB image. */
export function createRgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** An integer pixel rectangle. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Resamples `region` of `src` (default: all of it) into `out` (any size): area averaging on
 * each axis that shrinks, so downscaling does not alias, and bilinear interpolation on each
 * axis that grows. Pixel centres map to pixel centres; the region may extend past the image
 * (edge pixels repeat). Allocates only small per-axis tables.
 */
export function resizeRgb(
  src: RgbImage,
  out: RgbImage,
  region: PixelRect = { x: 0, y: 0, width: src.width, height: src.height },
): RgbImage {
  if (
    region.width === out.width &&
    region.height === out.height &&
    Number.isInteger(region.x) &&
    Number.isInteger(region.y)
  ) {
    return copyRegion(src, out, region);
  }
  const xs = axisTaps(region.width, out.width, region.x, src.width);
  const ys = axisTaps(region.height, out.height, region.y, src.height);
  const row = new Float32Array(out.width * 3);
  const sd = src.data;
  const od = out.data;
  for (let oy = 0; oy < out.height; oy++) {
    row.fill(0);
    for (let t = ys.start[oy] as number; t < (ys.start[oy + 1] as number); t++) {
      const sy = ys.index[t] as number;
      const wy = ys.weight[t] as number;
      const base = sy * src.width * 3;
      for (let ox = 0; ox < out.width; ox++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let u = xs.start[ox] as number; u < (xs.start[ox + 1] as number); u++) {
          const o = base + (xs.index[u] as number) * 3;
          const w = xs.weight[u] as number;
          r += w * (sd[o] as number);
          g += w * (sd[o + 1] as number);
          b += w * (sd[o + 2] as number);
        }
        const q = ox * 3;
        row[q] = (row[q] as number) + wy * r;
        row[q + 1] = (row[q + 1] as number) + wy * g;
        row[q + 2] = (row[q + 2] as number) + wy * b;
      }
    }
    const o = oy * out.width * 3;
    for (let i = 0; i < row.length; i++) od[o + i] = (row[i] as number) + 0.5;
  }
  return out;
}

/**
 * The same-size case of {@link resizeRgb} (what per-frame references cropped at output size
 * need): a copy with edge pixels repeated where the region leaves the image, exactly what the
 * resampling would give, without its per-pixel taps.
 */
function copyRegion(src: RgbImage, out: RgbImage, region: PixelRect): RgbImage {
  const sd = src.data;
  const od = out.data;
  const x0 = Math.min(Math.max(region.x, 0), src.width);
  const x1 = Math.max(Math.min(region.x + region.width, src.width), x0);
  for (let oy = 0; oy < out.height; oy++) {
    const sy = Math.min(src.height - 1, Math.max(0, region.y + oy));
    const srcRow = sy * src.width * 3;
    const o = oy * out.width * 3;
    if (x1 > x0) od.set(sd.subarray(srcRow + x0 * 3, srcRow + x1 * 3), o + (x0 - region.x) * 3);
    for (let ox = 0; ox < x0 - region.x; ox++) {
      const sx = Math.min(src.width - 1, Math.max(0, region.x + ox)) * 3;
      od[o + ox * 3] = sd[srcRow + sx] as number;
      od[o + ox * 3 + 1] = sd[srcRow + sx + 1] as number;
      od[o + ox * 3 + 2] = sd[srcRow + sx + 2] as number;
    }
    for (let ox = Math.max(0, x1 - region.x); ox < out.width; ox++) {
      const sx = Math.min(src.width - 1, Math.max(0, region.x + ox)) * 3;
      od[o + ox * 3] = sd[srcRow + sx] as number;
      od[o + ox * 3 + 1] = sd[srcRow + sx + 1] as number;
      od[o + ox * 3 + 2] = sd[srcRow + sx + 2] as number;
    }
  }
  return out;
}

interface Taps {
  /** Taps of output pixel i are [start[i], start[i + 1]). */
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/**
 * Per output pixel, the source pixels and weights (box filter when shrinking, tent when
 * growing) over a span of `srcSize` pixels starting at `offset`, clamped to [0, limit).
 */
function axisTaps(srcSize: number, outSize: number, offset: number, limit: number): Taps {
  const clampIndex = (s: number) => Math.min(limit - 1, Math.max(0, s + offset));
  const scale = srcSize / outSize;
  const start = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < outSize; i++) {
    start[i] = index.length;
    if (scale > 1) {
      // Box: source interval [i·scale, (i+1)·scale), each source pixel weighted by overlap.
      const a = i * scale;
      const b = a + scale;
      for (let s = Math.floor(a); s < Math.ceil(b); s++) {
        const overlap = Math.min(b, s + 1) - Math.max(a, s);
        if (overlap <= 0) continue;
        index.push(clampIndex(s));
        weight.push(overlap / scale);
      }
    } else {
      const c = (i + 0.5) * scale - 0.5;
      const s0 = Math.floor(c);
      const f = c - s0;
      index.push(
        clampIndex(Math.min(srcSize - 1, Math.max(0, s0))),
        clampIndex(Math.min(srcSize - 1, Math.max(0, s0 + 1))),
      );
      weight.push(1 - f, f);
    }
  }
  start[outSize] = index.length;
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}
