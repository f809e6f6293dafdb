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
  const xs = evenTaps(axisTaps(region.width, out.width, region.x, src.width));
  const ys = axisTaps(region.height, out.height, region.y, src.height);
  const rowLength = out.width * 3;
  const ring = rowRing(maxTaps(ys) + 1, rowLength);
  const slots = ring.tags.length;
  for (let oy = 0; oy < out.height; oy++) {
    const first = ys.start[oy] as number;
    const end = ys.start[oy + 1] as number;
    for (let t = first; t < end; t++) {
      const sy = ys.index[t] as number;
      if (ring.tags[sy % slots] !== sy) {
        resampleRow(src, sy, xs, ring.rows, (sy % slots) * rowLength, out.width);
        ring.tags[sy % slots] = sy;
      }
    }
    sumRows(ring, ys, first, end, rowLength, out.data, oy * rowLength);
  }
  return out;
}

/**
 * Output row = Σ weight · resampled source row over taps [first, end), summed in single
 * precision as a Float32 row would hold it, + 0.5 truncated into `od` at `o`.
 */
function sumRows(
  ring: RowRing,
  ys: Taps,
  first: number,
  end: number,
  rowLength: number,
  od: Uint8Array,
  o: number,
): void {
  const rows = ring.rows;
  const slots = ring.tags.length;
  const base0 = ((ys.index[first] as number) % slots) * rowLength;
  const w0 = ys.weight[first] as number;
  if (end - first === 2) {
    const base1 = ((ys.index[first + 1] as number) % slots) * rowLength;
    const w1 = ys.weight[first + 1] as number;
    for (let q = 0; q < rowLength; q++) {
      const a = Math.fround(w0 * (rows[base0 + q] as number));
      od[o + q] = Math.fround(a + w1 * (rows[base1 + q] as number)) + 0.5;
    }
    return;
  }
  if (end - first === 3) {
    const base1 = ((ys.index[first + 1] as number) % slots) * rowLength;
    const base2 = ((ys.index[first + 2] as number) % slots) * rowLength;
    const w1 = ys.weight[first + 1] as number;
    const w2 = ys.weight[first + 2] as number;
    for (let q = 0; q < rowLength; q++) {
      const a = Math.fround(w0 * (rows[base0 + q] as number));
      const b = Math.fround(a + w1 * (rows[base1 + q] as number));
      od[o + q] = Math.fround(b + w2 * (rows[base2 + q] as number)) + 0.5;
    }
    return;
  }
  const sum = ring.sum;
  for (let q = 0; q < rowLength; q++) sum[q] = w0 * (rows[base0 + q] as number);
  for (let t = first + 1; t < end; t++) {
    const base = ((ys.index[t] as number) % slots) * rowLength;
    const w = ys.weight[t] as number;
    for (let q = 0; q < rowLength; q++)
      sum[q] = (sum[q] as number) + w * (rows[base + q] as number);
  }
  for (let q = 0; q < rowLength; q++) od[o + q] = (sum[q] as number) + 0.5;
}

/**
 * Scratch rows of {@link resizeRgb}: each source row it reads is resampled across once and
 * kept (in double precision, so the sums are those of resampling it for each output row
 * anew) while the output rows that weight it are summed. `tags` holds each slot's source row.
 */
interface RowRing {
  tags: Int32Array;
  rows: Float64Array;
  sum: Float32Array;
}

let scratch: RowRing = {
  tags: new Int32Array(0),
  rows: new Float64Array(0),
  sum: new Float32Array(0),
};

/** The reused scratch for `slots` rows of `rowLength` values, every slot empty. */
function rowRing(slots: number, rowLength: number): RowRing {
  if (scratch.rows.length < slots * rowLength || scratch.sum.length < rowLength) {
    scratch = {
      tags: new Int32Array(slots),
      rows: new Float64Array(slots * rowLength),
      sum: new Float32Array(rowLength),
    };
  }
  const tags = scratch.tags.length === slots ? scratch.tags : new Int32Array(slots);
  tags.fill(-1);
  scratch.tags = tags;
  return { tags, rows: scratch.rows, sum: scratch.sum.subarray(0, rowLength) };
}

/** The most taps of any output pixel. */
function maxTaps(taps: Taps): number {
  let most = 0;
  for (let i = 0; i + 1 < taps.start.length; i++) {
    most = Math.max(most, (taps.start[i + 1] as number) - (taps.start[i] as number));
  }
  return most;
}

/** Source row `sy` of `src` resampled across by `xs` into `out` at `offset` (width × 3 values). */
function resampleRow(
  src: RgbImage,
  sy: number,
  xs: Taps,
  out: Float64Array,
  offset: number,
  width: number,
): void {
  const sd = src.data;
  const base = sy * src.width * 3;
  if (xs.stride === 2) {
    // Two taps a pixel, the sums as the general loop forms them (0 + a + b).
    for (let ox = 0; ox < width; ox++) {
      const a = base + (xs.index[2 * ox] as number) * 3;
      const b = base + (xs.index[2 * ox + 1] as number) * 3;
      const wa = xs.weight[2 * ox] as number;
      const wb = xs.weight[2 * ox + 1] as number;
      const q = offset + ox * 3;
      out[q] = wa * (sd[a] as number) + wb * (sd[b] as number);
      out[q + 1] = wa * (sd[a + 1] as number) + wb * (sd[b + 1] as number);
      out[q + 2] = wa * (sd[a + 2] as number) + wb * (sd[b + 2] as number);
    }
    return;
  }
  if (xs.stride === 3) {
    for (let ox = 0; ox < width; ox++) {
      const a = base + (xs.index[3 * ox] as number) * 3;
      const b = base + (xs.index[3 * ox + 1] as number) * 3;
      const c = base + (xs.index[3 * ox + 2] as number) * 3;
      const wa = xs.weight[3 * ox] as number;
      const wb = xs.weight[3 * ox + 1] as number;
      const wc = xs.weight[3 * ox + 2] as number;
      const q = offset + ox * 3;
      out[q] = wa * (sd[a] as number) + wb * (sd[b] as number) + wc * (sd[c] as number);
      out[q + 1] =
        wa * (sd[a + 1] as number) + wb * (sd[b + 1] as number) + wc * (sd[c + 1] as number);
      out[q + 2] =
        wa * (sd[a + 2] as number) + wb * (sd[b + 2] as number) + wc * (sd[c + 2] as number);
    }
    return;
  }
  for (let ox = 0; ox < width; ox++) {
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
    const q = offset + ox * 3;
    out[q] = r;
    out[q + 1] = g;
    out[q + 2] = b;
  }
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
  /** Taps per output pixel when every pixel has the same number (see {@link evenTaps}), else 0. */
  stride: number;
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
  return {
    start,
    index: Int32Array.from(index),
    weight: Float32Array.from(weight),
    stride: scale <= 1 ? 2 : 0,
  };
}

/**
 * `taps` with every output pixel given the most taps any has (up to 3; more are left as they
 * are): the extra taps repeat the pixel's last source pixel with weight 0, which adds an exact
 * 0 to the sum, so the fixed-count loops give the same values as the variable-count one.
 */
function evenTaps(taps: Taps): Taps {
  const count = taps.start.length - 1;
  const stride = maxTaps(taps);
  if (taps.stride === stride || stride > 3 || taps.index.length === stride * count) {
    return { ...taps, stride: taps.index.length === stride * count ? stride : taps.stride };
  }
  const start = new Int32Array(count + 1);
  const index = new Int32Array(stride * count);
  const weight = new Float32Array(stride * count);
  for (let i = 0; i < count; i++) {
    const first = taps.start[i] as number;
    const n = (taps.start[i + 1] as number) - first;
    start[i] = i * stride;
    for (let k = 0; k < stride; k++) {
      index[i * stride + k] = taps.index[first + Math.min(k, n - 1)] as number;
      weight[i * stride + k] = k < n ? (taps.weight[first + k] as number) : 0;
    }
  }
  start[count] = stride * count;
  return { start, index, weight, stride };
}
