/**
 * Area resampling of a square crop of a map into a planar float32 tensor: box filter on an
 * axis that shrinks (no aliasing), bilinear on an axis that grows; pixel centres map to
 * pixel centres; the crop may extend past the image (edge pixels repeat). Taps are computed
 * once per crop box ({@link CropTaps}) and reused for every map of every frame in that box.
 */

/** A square crop in image pixels (integers). */
export interface CropBox {
  x: number;
  y: number;
  size: number;
}

/** Per output pixel on one axis, the source pixels and weights. */
export interface AxisTaps {
  /** Taps of output pixel i are [start[i], start[i + 1]). */
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/** Taps of a crop box on both axes of an image, for a given output size. */
export interface CropTaps {
  box: CropBox;
  outSize: number;
  xs: AxisTaps;
  ys: AxisTaps;
}

/** Computes the taps that resample `box` of a `width` × `height` image to `outSize`². */
export function cropTaps(box: CropBox, outSize: number, width: number, height: number): CropTaps {
  return {
    box: { ...box },
    outSize,
    xs: axisTaps(box.size, outSize, box.x, width),
    ys: axisTaps(box.size, outSize, box.y, height),
  };
}

function axisTaps(srcSize: number, outSize: number, offset: number, limit: number): AxisTaps {
  const clamp = (s: number) => Math.min(limit - 1, Math.max(0, s + offset));
  const scale = srcSize / outSize;
  const start = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < outSize; i++) {
    start[i] = index.length;
    if (scale > 1) {
      const a = i * scale;
      const b = a + scale;
      for (let s = Math.floor(a); s < Math.ceil(b); s++) {
        const overlap = Math.min(b, s + 1) - Math.max(a, s);
        if (overlap <= 1e-9) continue;
        index.push(clamp(s));
        weight.push(overlap / scale);
      }
    } else {
      const c = (i + 0.5) * scale - 0.5;
      const s0 = Math.floor(c);
      const f = c - s0;
      index.push(clamp(s0), clamp(s0 + 1));
      weight.push(1 - f, f);
    }
  }
  start[outSize] = index.length;
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/**
 * Resamples channels of an interleaved map (`channels` values per pixel) into planar
 * `out[(channelOffset + c) · n² + y · n + x] = scale · v + bias`. `row` is scratch of at
 * least n × channels floats.
 */
export function resampleInterleaved(
  src: Uint8Array | Float32Array,
  width: number,
  channels: number,
  taps: CropTaps,
  out: Float32Array,
  channelOffset: number,
  scale: number,
  bias: number,
  row: Float32Array,
): void {
  const n = taps.outSize;
  const plane = n * n;
  const { xs, ys } = taps;
  for (let oy = 0; oy < n; oy++) {
    row.fill(0, 0, n * channels);
    for (let t = ys.start[oy] as number; t < (ys.start[oy + 1] as number); t++) {
      const wy = ys.weight[t] as number;
      const base = (ys.index[t] as number) * width * channels;
      for (let ox = 0; ox < n; ox++) {
        const q = ox * channels;
        for (let u = xs.start[ox] as number; u < (xs.start[ox + 1] as number); u++) {
          const w = wy * (xs.weight[u] as number);
          const o = base + (xs.index[u] as number) * channels;
          for (let c = 0; c < channels; c++)
            row[q + c] = (row[q + c] as number) + w * (src[o + c] as number);
        }
      }
    }
    for (let c = 0; c < channels; c++) {
      const o = (channelOffset + c) * plane + oy * n;
      for (let ox = 0; ox < n; ox++)
        out[o + ox] = scale * (row[ox * channels + c] as number) + bias;
    }
  }
}

/**
 * Resamples a label map as one-hot fractions: planar channel `channelOffset + id` gets the
 * fraction of the output pixel covered by label `id` (ids ≥ `labelCount` are ignored).
 */
export function resampleLabels(
  labels: Uint8Array,
  width: number,
  labelCount: number,
  taps: CropTaps,
  out: Float32Array,
  channelOffset: number,
  row: Float32Array,
): void {
  const n = taps.outSize;
  const plane = n * n;
  const { xs, ys } = taps;
  for (let oy = 0; oy < n; oy++) {
    row.fill(0, 0, n * labelCount);
    for (let t = ys.start[oy] as number; t < (ys.start[oy + 1] as number); t++) {
      const wy = ys.weight[t] as number;
      const base = (ys.index[t] as number) * width;
      for (let ox = 0; ox < n; ox++) {
        for (let u = xs.start[ox] as number; u < (xs.start[ox + 1] as number); u++) {
          const id = labels[base + (xs.index[u] as number)] as number;
          if (id >= labelCount) continue;
          const q = ox * labelCount + id;
          row[q] = (row[q] as number) + wy * (xs.weight[u] as number);
        }
      }
    }
    for (let c = 0; c < labelCount; c++) {
      const o = (channelOffset + c) * plane + oy * n;
      for (let ox = 0; ox < n; ox++) out[o + ox] = row[ox * labelCount + c] as number;
    }
  }
}

/**
 * ×2 bilinear upsampling of planar channels [c, n, n] → [c, 2n, 2n], exactly PyTorch's
 * `F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)` (source index
 * (i + 0.5) / 2 − 0.5, clamped at the borders). The SR model adds its learned correction to
 * this; used alone it is the "generator without SR" path.
 */
export function upsample2x(src: Float32Array, channels: number, n: number, dst: Float32Array) {
  const m = 2 * n;
  // Per output index: the two source indices and the weight of the second.
  const i0 = new Int32Array(m);
  const i1 = new Int32Array(m);
  const w1 = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    const s = Math.max(0, (i + 0.5) / 2 - 0.5);
    const a = Math.min(Math.floor(s), n - 1);
    i0[i] = a;
    i1[i] = Math.min(a + 1, n - 1);
    w1[i] = s - a;
  }
  for (let c = 0; c < channels; c++) {
    const so = c * n * n;
    const d0 = c * m * m;
    for (let y = 0; y < m; y++) {
      const ry0 = so + (i0[y] as number) * n;
      const ry1 = so + (i1[y] as number) * n;
      const wy = w1[y] as number;
      for (let x = 0; x < m; x++) {
        const xa = i0[x] as number;
        const xb = i1[x] as number;
        const wx = w1[x] as number;
        const top = (src[ry0 + xa] as number) * (1 - wx) + (src[ry0 + xb] as number) * wx;
        const bottom = (src[ry1 + xa] as number) * (1 - wx) + (src[ry1 + xb] as number) * wx;
        dst[d0 + y * m + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
}
