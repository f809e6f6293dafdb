import type { BodyPose } from '../controls/index.ts';
import type { BodyGeometry } from './body.ts';
import { smoothstep } from './mouth.ts';

/**
 * The torso pass: moves the neck and shoulders of a rendered frame with the Controls body
 * channels (the motion stage's breathing lift and the body model's sway and shrugs), so a
 * head no longer turns on a frozen torso.
 *
 * A smooth displacement field over the lower part of the frame: zero down to just below the
 * chin (the face and the jaw are the face warp's), rising to the full shoulder displacement
 * at the shoulder line and falling back to zero at the hips ({@link HIP_SHOULDER_WIDTHS}),
 * and across the frame interpolated between the two shoulders'
 * displacements (Controls offsets in shoulder widths × the reference's shoulder width in
 * px). It fades out away from the person (matte or, without one, the body prior), and with a
 * matte the background is held still exactly as the face warp holds it (`plate`). The pass
 * reads the face-warped frame (`maps.warped`, which stays the face warp alone) and writes the
 * composite; the neck between chin and shoulders bends smoothly, so the head stays attached.
 *
 * Not moved: elbows, wrists and hands (no limb segmentation yet), the neck's own rotation.
 */

/** Matte values above this count as person when laying out the field. */
const PERSON_MIN = 24;
/** Width of the field's fade-out around the person, in face widths. */
const MARGIN_FACE_WIDTHS = 0.2;
/**
 * How far below the shoulder line the torso's pivot (the hips) lies, in shoulder widths: the
 * displacement falls linearly from full at the shoulders to 0 there, as a torso swaying about
 * its hips moves (shoulders to hips ≈ 1.4 shoulder widths). What sits low in a half-body
 * frame (a desk, a lectern, hands in the lap) then no longer slides with the shoulders.
 * Checked on training half-body clips by self-reenactment (docs/stages/body.md).
 */
const HIP_SHOULDER_WIDTHS = 1.4;
/** Displacements below this (px) leave the frame as it is. */
const MIN_MOTION_PX = 0.02;

/** The matte at work: the person's alpha and the background plate, at output size. */
export interface TorsoHold {
  matte: Uint8Array;
  plate: Uint8Array;
}

export class TorsoWarp {
  readonly width: number;
  readonly height: number;
  /** Per pixel, the share of the shoulder displacement it takes (0–1). */
  readonly #weight: Float32Array;
  /** Per row, the first and last column with a non-zero weight (x1 < x0: none). */
  readonly #spans: Int32Array;
  #geometry: BodyGeometry | undefined;
  /** The reference's layout inputs, laid out on the first frame that moves the torso. */
  #pending: { person: Uint8Array; isMatte: boolean } | undefined;
  readonly #d = { lx: 0, ly: 0, rx: 0, ry: 0 };

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.#weight = new Float32Array(width * height);
    this.#spans = new Int32Array(height * 2);
  }

  /**
   * Lays the field out for a reference: `geometry` from {@link bodyGeometry}, `person` the
   * matte (0–255) or, without one, the body prior mask (0/1) — at output size.
   */
  setReference(geometry: BodyGeometry | undefined, person: Uint8Array, isMatte: boolean): void {
    // Laid out lazily: dubbing switches the reference every frame and never moves the torso,
    // so it should not pay for the blur and the weight map.
    this.#geometry = geometry;
    this.#pending = { person, isMatte };
  }

  #layout(geometry: BodyGeometry, person: Uint8Array, isMatte: boolean): void {
    this.#weight.fill(0);
    for (let y = 0; y < this.height; y++) {
      this.#spans[y * 2] = 0;
      this.#spans[y * 2 + 1] = -1;
    }
    const inside = new Float32Array(this.width * this.height);
    const threshold = isMatte ? PERSON_MIN : 0;
    for (let p = 0; p < inside.length; p++) inside[p] = (person[p] as number) > threshold ? 1 : 0;
    const radius = Math.max(1, Math.round(MARGIN_FACE_WIDTHS * geometry.faceWidth));
    const soft = boxBlur(inside, this.width, this.height, radius);
    const top = geometry.chin + 0.05 * geometry.faceHeight;
    const full = Math.max(
      top + 1,
      Math.min(geometry.imageLeft.y, geometry.imageRight.y) + 0.1 * geometry.faceHeight,
    );
    const hips = full + HIP_SHOULDER_WIDTHS * geometry.shoulderWidth;
    for (let y = Math.max(0, Math.floor(top)); y < this.height; y++) {
      const down = Math.min(1, Math.max(0, (hips - y - 0.5) / (hips - full)));
      const ramp = smoothstep(top, full, y + 0.5) * down;
      let x0 = this.width;
      let x1 = -1;
      for (let x = 0; x < this.width; x++) {
        const p = y * this.width + x;
        const w = ramp * Math.min(1, 2 * (soft[p] as number));
        this.#weight[p] = w;
        if (w > 1e-3) {
          if (x < x0) x0 = x;
          x1 = x;
        }
      }
      this.#spans[y * 2] = x0;
      this.#spans[y * 2 + 1] = x1;
    }
  }

  /**
   * Moves the torso for one frame: reads `source` (the face-warped frame, RGB) and writes
   * the moved pixels into `out` (which already holds a copy of `source`). Returns false when
   * the body pose moves nothing (then `out` is untouched).
   */
  apply(body: BodyPose, source: Uint8Array, out: Uint8Array, hold?: TorsoHold): boolean {
    const g = this.#geometry;
    if (!g) return false;
    const d = this.#displacements(body, g);
    const largest = Math.max(Math.abs(d.lx), Math.abs(d.ly), Math.abs(d.rx), Math.abs(d.ry));
    if (largest < MIN_MOTION_PX) return false;
    if (this.#pending) {
      this.#layout(g, this.#pending.person, this.#pending.isMatte);
      this.#pending = undefined;
    }
    const xl = g.imageLeft.x;
    const span = Math.max(1, g.imageRight.x - xl);
    for (let y = 0; y < this.height; y++) {
      const x0 = this.#spans[y * 2] as number;
      const x1 = this.#spans[y * 2 + 1] as number;
      for (let x = x0; x <= x1; x++) {
        const p = y * this.width + x;
        const w = this.#weight[p] as number;
        if (w <= 1e-3) continue;
        const s = Math.min(1, Math.max(0, (x - xl) / span));
        const sx = x - w * (d.lx + (d.rx - d.lx) * s);
        const sy = y - w * (d.ly + (d.ry - d.ly) * s);
        this.#samplePixel(source, sx, sy, out, p * 3, hold);
      }
    }
    return true;
  }

  /**
   * The union of `dynamic` spans (per row first/last column) and the torso's, into `out`:
   * the pixels a frame with torso motion changes.
   */
  unionSpans(dynamic: Int32Array, out: Int32Array): Int32Array {
    for (let y = 0; y < this.height; y++) {
      const a0 = dynamic[y * 2] as number;
      const a1 = dynamic[y * 2 + 1] as number;
      const b0 = this.#spans[y * 2] as number;
      const b1 = this.#spans[y * 2 + 1] as number;
      const hasA = a1 >= a0;
      const hasB = b1 >= b0;
      out[y * 2] = hasA && hasB ? Math.min(a0, b0) : hasA ? a0 : b0;
      out[y * 2 + 1] = hasA && hasB ? Math.max(a1, b1) : hasA ? a1 : b1;
    }
    return out;
  }

  /** Image-left and image-right shoulder displacements in px for a body pose. */
  #displacements(
    body: BodyPose,
    g: BodyGeometry,
  ): { lx: number; ly: number; rx: number; ry: number } {
    const left = g.imageLeftJoint === 'leftShoulder' ? body.leftShoulder : body.rightShoulder;
    const right = g.imageLeftJoint === 'leftShoulder' ? body.rightShoulder : body.leftShoulder;
    const d = this.#d;
    d.lx = left.x * g.shoulderWidth;
    d.ly = left.y * g.shoulderWidth;
    d.rx = right.x * g.shoulderWidth;
    d.ry = right.y * g.shoulderWidth;
    return d;
  }

  /** Bilinear sample of `source` at (sx, sy) into `out` at `o`, background held by `hold`. */
  #samplePixel(
    source: Uint8Array,
    sx: number,
    sy: number,
    out: Uint8Array,
    o: number,
    hold: TorsoHold | undefined,
  ): void {
    const w = this.width;
    const h = this.height;
    const cx = Math.min(w - 1, Math.max(0, sx));
    const cy = Math.min(h - 1, Math.max(0, sy));
    const x0 = Math.min(w - 2, Math.floor(cx));
    const y0 = Math.min(h - 2, Math.floor(cy));
    const fx = cx - x0;
    const fy = cy - y0;
    const a = (y0 * w + x0) * 3;
    const b = a + 3;
    const c = a + w * 3;
    const e = c + 3;
    const q = Math.round(cy) * w + Math.round(cx);
    const alpha = hold ? (hold.matte[q] as number) / 255 : 1;
    for (let k = 0; k < 3; k++) {
      const top =
        (source[a + k] as number) + ((source[b + k] as number) - (source[a + k] as number)) * fx;
      const bottom =
        (source[c + k] as number) + ((source[e + k] as number) - (source[c + k] as number)) * fx;
      let v = top + (bottom - top) * fy;
      if (hold)
        v += (1 - alpha) * ((hold.plate[o + k] as number) - (hold.plate[q * 3 + k] as number));
      out[o + k] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
    }
  }
}

/** Separable box blur of radius `r` (window 2r + 1, clamped at the borders). */
function boxBlur(values: Float32Array, width: number, height: number, r: number): Float32Array {
  const rows = new Float32Array(values.length);
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) blurLine(values, rows, y * width, 1, width, r);
  for (let x = 0; x < width; x++) blurLine(rows, out, x, width, height, r);
  return out;
}

function blurLine(
  input: Float32Array,
  output: Float32Array,
  start: number,
  stride: number,
  n: number,
  r: number,
): void {
  let sum = 0;
  for (let i = -r; i <= r; i++)
    sum += input[start + Math.min(n - 1, Math.max(0, i)) * stride] as number;
  for (let i = 0; i < n; i++) {
    output[start + i * stride] = sum / (2 * r + 1);
    const add = Math.min(n - 1, i + r + 1);
    const drop = Math.max(0, i - r);
    sum += (input[start + add * stride] as number) - (input[start + drop * stride] as number);
  }
}
