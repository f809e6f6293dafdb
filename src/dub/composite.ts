/** A square region of the source frame (integer px; may reach outside the frame). */
export interface CropSquare {
  x: number;
  y: number;
  side: number;
}

/** Mask values at or below this leave the frame's pixel as it is (blending skips them). */
export const BLEND_MIN = 0.002;

/**
 * Blends the rendered crop back into the full frame: `out = source + mask · (render − source)`
 * over the crop, untouched elsewhere (`out` already holds the source). `render` and `mask`
 * are on the renderer's `size` × `size` grid; when the crop is that size the mapping is
 * pixel for pixel, otherwise both are sampled bilinearly.
 *
 * @param out Output frame, `width` × `height` × 3, holding the source frame's pixels.
 * @param options.bounds Where the mask can be non-zero (inclusive grid px): only the frame
 *   pixels that read it are visited. Default: the whole crop.
 * @param options.spans Per grid row, the first and last px where the mask exceeds
 *   {@link BLEND_MIN} (first > last for none; `LowerFaceMask.blendSpans`): only the frame
 *   pixels whose taps reach them are visited. Default: no limit beyond `bounds`.
 */
export function blendCrop(
  out: Uint8Array,
  width: number,
  height: number,
  render: Uint8Array,
  mask: Float32Array,
  size: number,
  crop: CropSquare,
  options: {
    bounds?: { x0: number; y0: number; x1: number; y1: number };
    spans?: Int32Array;
  } = {},
): void {
  const b = options.bounds ?? { x0: 0, y0: 0, x1: size - 1, y1: size - 1 };
  if (b.x1 < b.x0 || b.y1 < b.y0) return;
  // Frame px whose bilinear taps (grid px ⌊u⌋ and ⌊u⌋ + 1) can reach the bounds.
  const s = crop.side / size;
  const x0 = Math.max(0, crop.x, Math.floor(crop.x + (b.x0 - 1) * s) - 1);
  const y0 = Math.max(0, crop.y, Math.floor(crop.y + (b.y0 - 1) * s) - 1);
  const x1 = Math.min(width, crop.x + crop.side, Math.ceil(crop.x + (b.x1 + 2) * s) + 1);
  const y1 = Math.min(height, crop.y + crop.side, Math.ceil(crop.y + (b.y1 + 2) * s) + 1);
  const spans = options.spans;
  if (crop.side === size) {
    for (let y = y0; y < y1; y++) {
      const gy = y - crop.y;
      const row = gy * size - crop.x;
      const xa = spans ? Math.max(x0, crop.x + (spans[gy * 2] as number)) : x0;
      const xb = spans ? Math.min(x1, crop.x + (spans[gy * 2 + 1] as number) + 1) : x1;
      for (let x = xa; x < xb; x++) {
        const q = row + x;
        const m = mask[q] as number;
        if (m <= BLEND_MIN) continue;
        const o = (y * width + x) * 3;
        const r = q * 3;
        if (m === 1) {
          // s + 1 · (r − s) + 0.5 truncates to r: the rendered pixel as it is.
          out[o] = render[r] as number;
          out[o + 1] = render[r + 1] as number;
          out[o + 2] = render[r + 2] as number;
          continue;
        }
        for (let c = 0; c < 3; c++) {
          const s = out[o + c] as number;
          out[o + c] = s + m * ((render[r + c] as number) - s) + 0.5;
        }
      }
    }
    return;
  }
  const k = size / crop.side;
  const cols = columnTaps(x0, x1, crop.x, k, size);
  for (let y = y0; y < y1; y++) {
    const v = Math.min(size - 1, Math.max(0, (y + 0.5 - crop.y) * k - 0.5));
    const v0 = Math.min(size - 2, Math.floor(v));
    const fv = v - v0;
    let xa = x0;
    let xb = x1;
    if (spans) {
      // Grid columns over BLEND_MIN in the two tap rows; frame px whose taps reach them.
      const { first, last } = spanUnion(spans, v0);
      if (first > last) continue;
      xa = Math.max(x0, Math.floor(crop.x + (first - 1) * s) - 1);
      xb = Math.min(x1, Math.ceil(crop.x + (last + 2) * s) + 1);
    }
    for (let x = xa; x < xb; x++) {
      const u0 = cols.u0[x - x0] as number;
      const fu = cols.fu[x - x0] as number;
      const q00 = v0 * size + u0;
      const w00 = (1 - fu) * (1 - fv);
      const w01 = fu * (1 - fv);
      const w10 = (1 - fu) * fv;
      const w11 = fu * fv;
      const m =
        w00 * (mask[q00] as number) +
        w01 * (mask[q00 + 1] as number) +
        w10 * (mask[q00 + size] as number) +
        w11 * (mask[q00 + size + 1] as number);
      if (m <= BLEND_MIN) continue;
      const o = (y * width + x) * 3;
      const r00 = q00 * 3;
      const r10 = r00 + size * 3;
      for (let c = 0; c < 3; c++) {
        const r =
          w00 * (render[r00 + c] as number) +
          w01 * (render[r00 + 3 + c] as number) +
          w10 * (render[r10 + c] as number) +
          w11 * (render[r10 + 3 + c] as number);
        const s = out[o + c] as number;
        out[o + c] = s + m * (r - s) + 0.5;
      }
    }
  }
}

/** Per frame column x0 … x1 − 1: its left grid tap and the weight of the right one. */
interface ColumnTaps {
  u0: Int32Array;
  fu: Float64Array;
}

let columnScratch: ColumnTaps = { u0: new Int32Array(0), fu: new Float64Array(0) };

/**
 * The grid taps of frame columns [x0, x1) (what each row of the scaled blend would compute
 * per pixel: u = clamp((x + 0.5 − crop x)·k − 0.5), u0 = min(size − 2, ⌊u⌋), fu = u − u0),
 * in a reused scratch valid until the next call.
 */
function columnTaps(x0: number, x1: number, cropX: number, k: number, size: number): ColumnTaps {
  const n = Math.max(0, x1 - x0);
  if (columnScratch.u0.length < n) {
    columnScratch = { u0: new Int32Array(n), fu: new Float64Array(n) };
  }
  const { u0, fu } = columnScratch;
  for (let x = x0; x < x1; x++) {
    const u = Math.min(size - 1, Math.max(0, (x + 0.5 - cropX) * k - 0.5));
    const left = Math.min(size - 2, Math.floor(u));
    u0[x - x0] = left;
    fu[x - x0] = u - left;
  }
  return columnScratch;
}

const union = { first: 1, last: 0 };

/** The union of grid rows `v0` and `v0` + 1's spans (first > last for none; shared object). */
function spanUnion(spans: Int32Array, v0: number): { first: number; last: number } {
  union.first = 1;
  union.last = 0;
  for (let r = v0; r <= v0 + 1; r++) {
    const a = spans[r * 2] as number;
    const b = spans[r * 2 + 1] as number;
    if (a > b) continue;
    if (union.first > union.last) {
      union.first = a;
      union.last = b;
    } else {
      union.first = Math.min(union.first, a);
      union.last = Math.max(union.last, b);
    }
  }
  return union;
}

/**
 * Copies an RGB frame into a frame of (possibly smaller, even) size, dropping the extra last
 * column/row: H.264 4:2:0 needs even sides.
 */
export function copyFrame(
  src: Uint8Array,
  srcWidth: number,
  dst: Uint8Array,
  width: number,
  height: number,
): void {
  if (srcWidth === width && src.length === dst.length) {
    dst.set(src);
    return;
  }
  for (let y = 0; y < height; y++) {
    dst.set(src.subarray(y * srcWidth * 3, (y * srcWidth + width) * 3), y * width * 3);
  }
}
