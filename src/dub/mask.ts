import type { FaceModel } from '../face/index.ts';
import { BLEND_MIN } from './composite.ts';

/**
 * The lower-face blend mask of one dubbed frame, on the renderer's output grid: the face
 * mesh drawn with per-vertex lower-face weights (0 at the eyes, 1 from the nostrils down),
 * at both the source and the new mouth shape (so the chin's old and new places are both
 * covered), grown by `growPx` and feathered by a blur of about `featherPx`. The mask is
 * smooth (its edge is a ramp of ~`featherPx`), so it is drawn and blurred at half the grid's
 * resolution and resampled bilinearly onto the grid: a quarter of the work. Buffers are
 * allocated once per size.
 */
export class LowerFaceMask {
  readonly size: number;
  /** The mask, size × size, 0–1 (valid until the next `build`). */
  readonly values: Float32Array;
  /**
   * Where the last `build` can be non-zero (inclusive grid px; x1 < x0 when empty): the
   * drawn mesh grown by the blurs' reach. Outside it the mask is 0.
   */
  readonly bounds = { x0: 0, y0: 0, x1: -1, y1: -1 };
  /**
   * Per row of the last `build`, the first and last pixel where the mask is non-zero
   * (inclusive; first > last for none).
   */
  readonly spans: Int32Array;
  /**
   * Per row of the last `build`, the first and last pixel where the mask exceeds
   * {@link BLEND_MIN} (what blending changes; inclusive, first > last for none).
   */
  readonly blendSpans: Int32Array;
  /** Side of the half-resolution grid the mask is made on. */
  readonly #half: number;
  readonly #low: Float32Array;
  readonly #tmp: Float32Array;
  readonly #sums: Float64Array;
  /** Two half-grid rows interpolated along x onto the full grid (doubles). */
  readonly #rowsX: Float64Array;
  /** Per full-grid column: its left half-grid tap and the weight of the right one. */
  readonly #tapX: { left: Int32Array; weight: Float64Array };
  readonly #triangles: Uint32Array;
  readonly #weights: Float32Array;
  /** Where the last `build` wrote into the half grid (empty when x1 < x0): zeroed next time. */
  readonly #written = { x0: 0, y0: 0, x1: -1, y1: -1 };

  constructor(model: FaceModel, weights: Float32Array, size: number) {
    this.size = size;
    this.values = new Float32Array(size * size);
    this.spans = new Int32Array(size * 2);
    this.blendSpans = new Int32Array(size * 2);
    this.#half = Math.ceil(size / 2);
    this.#low = new Float32Array(this.#half * this.#half);
    this.#tmp = new Float32Array(this.#half * this.#half);
    this.#sums = new Float64Array(this.#half);
    this.#rowsX = new Float64Array(2 * size);
    this.#tapX = upsampleTaps(this.#half, size);
    this.#triangles = model.triangles;
    this.#weights = weights;
  }

  /**
   * @param source Mesh at the source shape, 468 × (x, y, depth) in output px.
   * @param target Mesh at the new shape, same layout.
   */
  build(
    source: Float32Array,
    target: Float32Array,
    growPx: number,
    featherPx: number,
  ): Float32Array {
    const n = this.#half;
    const low = this.#low;
    // Only what the last build wrote is non-zero: zero that, not the whole grids.
    clearRect(low, n, this.#written);
    clearRect(this.values, this.size, this.bounds);
    Object.assign(this.#written, { x0: 0, y0: 0, x1: -1, y1: -1 });
    const box = { x0: n, y0: n, x1: -1, y1: -1 };
    this.#draw(source, box);
    this.#draw(target, box);
    Object.assign(this.bounds, { x0: 0, y0: 0, x1: -1, y1: -1 });
    if (box.x1 < 0) {
      spansOf(this.values, this.size, this.bounds, this.spans, this.blendSpans);
      return this.values;
    }
    const grow = Math.max(1, Math.round(growPx / 2));
    const r = Math.max(1, Math.round(featherPx / 4));
    // Everything below happens inside the drawn box grown by every blur's reach: outside it
    // the mask is 0 before and after.
    const reach = 2 * grow + 4 * r + 2;
    const rect = {
      x0: Math.max(0, box.x0 - reach),
      y0: Math.max(0, box.y0 - reach),
      x1: Math.min(n - 1, box.x1 + reach),
      y1: Math.min(n - 1, box.y1 + reach),
    };
    Object.assign(this.#written, rect);
    // Grow: a blur doubled and clipped reaches 1 up to the old edge and spreads ~growPx past
    // it (a soft dilation at the cost of two box blurs, independent of the radius).
    blurRows(low, this.#tmp, n, rect, grow);
    blurColumns(this.#tmp, low, n, rect, grow, this.#sums, true);
    // Feather: two box passes ≈ a Gaussian of about featherPx / 2 standard deviation.
    for (let pass = 0; pass < 2; pass++) {
      blurRows(low, this.#tmp, n, rect, r);
      blurColumns(this.#tmp, low, n, rect, r, this.#sums, false);
    }
    const full = this.size;
    Object.assign(this.bounds, {
      x0: Math.max(0, 2 * rect.x0 - 1),
      y0: Math.max(0, 2 * rect.y0 - 1),
      x1: Math.min(full - 1, 2 * rect.x1 + 2),
      y1: Math.min(full - 1, 2 * rect.y1 + 2),
    });
    upsample(low, n, this.values, full, this.bounds, this.#rowsX, this.#tapX);
    spansOf(this.values, full, this.bounds, this.spans, this.blendSpans);
    return this.values;
  }

  /**
   * Rasterises the mesh (output px, drawn at half scale) with interpolated vertex weights,
   * keeping the maximum per pixel.
   */
  #draw(points: Float32Array, box: { x0: number; y0: number; x1: number; y1: number }): void {
    const t = this.#triangles;
    const w = this.#weights;
    const n = this.#half;
    const m = this.#low;
    for (let k = 0; k < t.length; k += 3) {
      const a = t[k] as number;
      const b = t[k + 1] as number;
      const c = t[k + 2] as number;
      const wa = w[a] as number;
      const wb = w[b] as number;
      const wc = w[c] as number;
      if (wa === 0 && wb === 0 && wc === 0) continue;
      const ax = (points[a * 3] as number) / 2;
      const ay = (points[a * 3 + 1] as number) / 2;
      const bx = (points[b * 3] as number) / 2;
      const by = (points[b * 3 + 1] as number) / 2;
      const cx = (points[c * 3] as number) / 2;
      const cy = (points[c * 3 + 1] as number) / 2;
      const area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
      if (Math.abs(area) < 1e-9) continue;
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx, cx)));
      const x1 = Math.min(n - 1, Math.ceil(Math.max(ax, bx, cx)));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy)));
      const y1 = Math.min(n - 1, Math.ceil(Math.max(ay, by, cy)));
      if (x1 < x0 || y1 < y0) continue;
      box.x0 = Math.min(box.x0, x0);
      box.y0 = Math.min(box.y0, y0);
      box.x1 = Math.max(box.x1, x1);
      box.y1 = Math.max(box.y1, y1);
      // Numerators clearly on the outside (their quotient below −2e-6, so below −1e-6 after
      // any rounding) are rejected before dividing: the same pixels pass as with the quotients.
      const sign = area > 0 ? 1 : -1;
      const outside = -2e-6 * Math.abs(area);
      for (let y = y0; y <= y1; y++) {
        const py = y + 0.5;
        for (let x = x0; x <= x1; x++) {
          const px = x + 0.5;
          const n1 = (bx - px) * (cy - py) - (cx - px) * (by - py);
          if (n1 * sign < outside) continue;
          const n2 = (cx - px) * (ay - py) - (ax - px) * (cy - py);
          if (n2 * sign < outside) continue;
          const l1 = n1 / area;
          const l2 = n2 / area;
          const l3 = 1 - l1 - l2;
          if (l1 < -1e-6 || l2 < -1e-6 || l3 < -1e-6) continue;
          const v = l1 * wa + l2 * wb + l3 * wc;
          const o = y * n + x;
          if (v > (m[o] as number)) m[o] = v;
        }
      }
    }
  }
}

/**
 * The bilinear taps along one axis of the half grid (n) for each full-grid pixel (`full`),
 * whose centre is at half-grid coordinate x / 2 − 0.25 (clamped to the grid).
 */
function upsampleTaps(n: number, full: number): { left: Int32Array; weight: Float64Array } {
  const left = new Int32Array(full);
  const weight = new Float64Array(full);
  for (let x = 0; x < full; x++) {
    const u = Math.min(n - 1, Math.max(0, x / 2 - 0.25));
    const u0 = Math.min(n - 2, Math.floor(u));
    left[x] = u0;
    weight[x] = u - u0;
  }
  return { left, weight };
}

/**
 * Resamples the half-resolution mask `low` (n × n) bilinearly onto `out` (full × full, its
 * pixel centres at half-grid coordinates x / 2 − 0.25) inside `rect`. Separable: each
 * half-grid row is interpolated along x once (into `rowsX`, two rows of doubles, the values
 * a per-pixel bilinear tap computes), then each output row mixes two of them.
 */
function upsample(
  low: Float32Array,
  n: number,
  out: Float32Array,
  full: number,
  rect: { x0: number; y0: number; x1: number; y1: number },
  rowsX: Float64Array,
  taps: { left: Int32Array; weight: Float64Array },
): void {
  const { left, weight } = taps;
  const { x0, x1 } = rect;
  // rowsX holds half-grid rows `held0` and `held1` at offsets 0 and `full`.
  let held0 = -1;
  let held1 = -1;
  for (let y = rect.y0; y <= rect.y1; y++) {
    const v0 = left[y] as number;
    const fv = weight[y] as number;
    // The pair (v0, v0 + 1): keep the held row that is still needed, fill the other slot.
    if (held0 !== v0 && held1 !== v0) {
      if (held0 === v0 + 1) {
        held1 = v0;
        interpolateRow(low, v0 * n, x0, x1, left, weight, rowsX, full);
      } else {
        held0 = v0;
        interpolateRow(low, v0 * n, x0, x1, left, weight, rowsX, 0);
      }
    }
    if (held0 !== v0 + 1 && held1 !== v0 + 1) {
      if (held0 === v0) {
        held1 = v0 + 1;
        interpolateRow(low, (v0 + 1) * n, x0, x1, left, weight, rowsX, full);
      } else {
        held0 = v0 + 1;
        interpolateRow(low, (v0 + 1) * n, x0, x1, left, weight, rowsX, 0);
      }
    }
    const top = held0 === v0 ? 0 : full;
    const bottom = held0 === v0 ? full : 0;
    const row = y * full;
    for (let x = x0; x <= x1; x++) {
      const a = rowsX[top + x] as number;
      out[row + x] = a + fv * ((rowsX[bottom + x] as number) - a);
    }
  }
}

/** One half-grid row (from `start`) interpolated along x at full-grid columns x0–x1. */
function interpolateRow(
  low: Float32Array,
  start: number,
  x0: number,
  x1: number,
  left: Int32Array,
  weight: Float64Array,
  out: Float64Array,
  offset: number,
): void {
  for (let x = x0; x <= x1; x++) {
    const i = start + (left[x] as number);
    const l = low[i] as number;
    out[offset + x] = l + (weight[x] as number) * ((low[i + 1] as number) - l);
  }
}

/** Zeroes `m` (n wide) inside `rect` (inclusive; nothing when empty). */
function clearRect(
  m: Float32Array,
  n: number,
  rect: { x0: number; y0: number; x1: number; y1: number },
): void {
  if (rect.x1 < rect.x0) return;
  for (let y = rect.y0; y <= rect.y1; y++) m.fill(0, y * n + rect.x0, y * n + rect.x1 + 1);
}

/**
 * Box blurs of ±radius along rows or columns inside `rect`, reading clamped to the rect (it
 * is chosen so that the mask is 0 at and beyond its edge), src → dst. A running sum: constant
 * work per pixel whatever the radius. Columns keep one running sum per column and walk the
 * rows in memory order (the same sums, in the same order, as one column at a time).
 */
function blurRows(
  src: Float32Array,
  dst: Float32Array,
  n: number,
  rect: { x0: number; y0: number; x1: number; y1: number },
  radius: number,
): void {
  const inv = 1 / (2 * radius + 1);
  const lo = rect.x0;
  const hi = rect.x1;
  for (let line = rect.y0; line <= rect.y1; line++) {
    const base = line * n;
    const edgeLo = src[base + lo] as number;
    const edgeHi = src[base + hi] as number;
    let sum = edgeLo * radius;
    for (let j = lo; j <= lo + radius; j++) sum += src[base + Math.min(j, hi)] as number;
    for (let i = lo; i <= hi; i++) {
      dst[base + i] = sum * inv;
      const add = i + radius + 1;
      const drop = i - radius;
      sum +=
        (add <= hi ? (src[base + add] as number) : edgeHi) -
        (drop >= lo ? (src[base + drop] as number) : edgeLo);
    }
  }
}

/**
 * `sums`: one running sum per column (doubles, as a scalar sum is), n long. `double`: each
 * blurred value is doubled and clipped at 1 as it is stored (the grow step).
 */
function blurColumns(
  src: Float32Array,
  dst: Float32Array,
  n: number,
  rect: { x0: number; y0: number; x1: number; y1: number },
  radius: number,
  sums: Float64Array,
  double: boolean,
): void {
  const inv = 1 / (2 * radius + 1);
  const { x0, x1 } = rect;
  const lo = rect.y0;
  const hi = rect.y1;
  for (let x = x0; x <= x1; x++) sums[x] = (src[lo * n + x] as number) * radius;
  for (let j = lo; j <= lo + radius; j++) {
    const row = Math.min(j, hi) * n;
    for (let x = x0; x <= x1; x++) sums[x] = (sums[x] as number) + (src[row + x] as number);
  }
  for (let i = lo; i <= hi; i++) {
    const out = i * n;
    const add = i + radius + 1;
    const drop = i - radius;
    const addRow = Math.min(add, hi) * n;
    const dropRow = Math.max(drop, lo) * n;
    for (let x = x0; x <= x1; x++) {
      const sum = sums[x] as number;
      const v = Math.fround(sum * inv);
      dst[out + x] = double ? Math.min(1, 2 * v) : v;
      sums[x] = sum + ((src[addRow + x] as number) - (src[dropRow + x] as number));
    }
  }
}

/**
 * Per row, the first and last value inside `rect` (none outside it) that is non-zero (`out`)
 * and that exceeds {@link BLEND_MIN} (`blend`).
 */
function spansOf(
  m: Float32Array,
  n: number,
  rect: { x0: number; y0: number; x1: number; y1: number },
  out: Int32Array,
  blend: Int32Array,
): void {
  for (let y = 0; y < n; y++) {
    let first = 1;
    let last = 0;
    let blendFirst = 1;
    let blendLast = 0;
    if (y >= rect.y0 && y <= rect.y1) {
      const row = y * n;
      let x = rect.x0;
      while (x <= rect.x1 && m[row + x] === 0) x++;
      if (x <= rect.x1) {
        first = x;
        last = rect.x1;
        while (m[row + last] === 0) last--;
        while (x <= last && (m[row + x] as number) <= BLEND_MIN) x++;
        if (x <= last) {
          blendFirst = x;
          blendLast = last;
          while ((m[row + blendLast] as number) <= BLEND_MIN) blendLast--;
        }
      }
    }
    out[y * 2] = first;
    out[y * 2 + 1] = last;
    blend[y * 2] = blendFirst;
    blend[y * 2 + 1] = blendLast;
  }
}
