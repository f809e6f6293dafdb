import type { RgbImage } from '../render/index.ts';
import type { CropBox } from './resample.ts';

/** How the face crop is chosen and held; defaults in {@link CROP_DEFAULTS}. */
export interface CropOptions {
  /** Crop side as a multiple of the face's larger extent. Default 1.25. */
  margin?: number;
  /** Re-centre when the face centre moves more than this fraction of the crop. Default 0.06. */
  recentre?: number;
  /** Re-size when the wanted side differs by more than this fraction. Default 0.1. */
  resize?: number;
  /** Width of the feathered border of the paste-back, fraction of the crop side. Default 0.12. */
  feather?: number;
}

export const CROP_DEFAULTS = Object.freeze({
  margin: 1.25,
  recentre: 0.06,
  resize: 0.1,
  feather: 0.12,
});

/** Part ids (render PART_LABELS) that count as face: skin, lips, mouth interior, eyes, brows. */
const FACE_LABEL_MIN = 1;
const FACE_LABEL_MAX = 5;

/**
 * The square crop the face needs in a frame: centred on the bounding box of the face labels,
 * side `margin` × its larger extent (at least 16 px). Undefined when no face pixel is drawn.
 */
export function faceCropBox(
  labels: Uint8Array,
  width: number,
  height: number,
  margin: number = CROP_DEFAULTS.margin,
): CropBox | undefined {
  let x0 = width;
  let x1 = -1;
  let y0 = height;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      const id = labels[row + x] as number;
      if (id >= FACE_LABEL_MIN && id <= FACE_LABEL_MAX) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    if (y < y0) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  if (x1 < 0) return undefined;
  const size = Math.max(16, Math.round(margin * Math.max(x1 - x0 + 1, y1 - y0 + 1)));
  return {
    x: Math.round((x0 + x1 + 1) / 2 - size / 2),
    y: Math.round((y0 + y1 + 1) / 2 - size / 2),
    size,
  };
}

/**
 * Holds the crop steady: a new box is taken only when the face has moved or changed size
 * beyond the thresholds, so the crop does not jitter with the face. Pure, no I/O.
 */
export class CropTracker {
  readonly #o: Required<CropOptions>;
  #box: CropBox | undefined;

  constructor(options: CropOptions = {}) {
    this.#o = { ...CROP_DEFAULTS, ...options };
  }

  get box(): CropBox | undefined {
    return this.#box;
  }

  /**
   * The crop for a frame's labels. `changed` is true when the box differs from the previous
   * frame's (the context of the previous output is then dropped).
   */
  update(labels: Uint8Array, width: number, height: number): { box: CropBox; changed: boolean } {
    const wanted = faceCropBox(labels, width, height, this.#o.margin);
    const held = this.#box;
    if (!wanted) {
      if (held) return { box: held, changed: false };
      const size = Math.min(width, height);
      this.#box = { x: (width - size) >> 1, y: (height - size) >> 1, size };
      return { box: this.#box, changed: true };
    }
    if (held) {
      const dx = Math.abs(wanted.x + wanted.size / 2 - (held.x + held.size / 2)) / held.size;
      const dy = Math.abs(wanted.y + wanted.size / 2 - (held.y + held.size / 2)) / held.size;
      const ds = Math.abs(wanted.size / held.size - 1);
      if (dx <= this.#o.recentre && dy <= this.#o.recentre && ds <= this.#o.resize)
        return { box: held, changed: false };
    }
    this.#box = wanted;
    return { box: wanted, changed: true };
  }

  reset(): void {
    this.#box = undefined;
  }
}

/**
 * Adds a planar residual (3 × n × n, in [-1, 1] image units: 1 = 127.5 levels) over `box`
 * to `base`, bilinearly upsampled to the box and feathered to 0 at its border, writing
 * `out` (which may be `base`). Pixels outside the box are copied.
 */
export function pasteResidual(
  base: RgbImage,
  residual: Float32Array,
  n: number,
  box: CropBox,
  out: RgbImage,
  feather: number = CROP_DEFAULTS.feather,
): void {
  if (out.data !== base.data) out.data.set(base.data);
  const { width, height } = base;
  const plane = n * n;
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.size);
  const y1 = Math.min(height, box.y + box.size);
  const k = n / box.size;
  const edge = (t: number) => {
    const d = Math.min(t, 1 - t) / feather;
    if (d >= 1) return 1;
    if (d <= 0) return 0;
    return d * d * (3 - 2 * d);
  };
  const src = base.data;
  const dst = out.data;
  for (let y = y0; y < y1; y++) {
    const v = (y + 0.5 - box.y) / box.size;
    const wy = edge(v);
    if (wy === 0) continue;
    const sy = Math.min(n - 1, Math.max(0, (y + 0.5 - box.y) * k - 0.5));
    const ry0 = Math.floor(sy);
    const ry1 = Math.min(n - 1, ry0 + 1);
    const fy = sy - ry0;
    for (let x = x0; x < x1; x++) {
      const w = wy * edge((x + 0.5 - box.x) / box.size);
      if (w === 0) continue;
      const sx = Math.min(n - 1, Math.max(0, (x + 0.5 - box.x) * k - 0.5));
      const rx0 = Math.floor(sx);
      const rx1 = Math.min(n - 1, rx0 + 1);
      const fx = sx - rx0;
      const a = ry0 * n + rx0;
      const b = ry0 * n + rx1;
      const c = ry1 * n + rx0;
      const d = ry1 * n + rx1;
      const o = (y * width + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const p = ch * plane;
        const r =
          (1 - fy) * ((1 - fx) * (residual[p + a] as number) + fx * (residual[p + b] as number)) +
          fy * ((1 - fx) * (residual[p + c] as number) + fx * (residual[p + d] as number));
        const value = (src[o + ch] as number) + w * r * 127.5;
        dst[o + ch] = value <= 0 ? 0 : value >= 255 ? 255 : value + 0.5;
      }
    }
  }
}
