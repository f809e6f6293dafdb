import { PART_LABELS } from './labels.ts';
import type { GeometryBuffer } from './raster.ts';

/** Set on a pixel's raw label when its triangle faces away from the camera in the reference. */
export const HIDDEN_IN_SOURCE = 0x80;
/** Eye-strip `u` values of the right eye are offset by this, so one pass tells the eyes apart. */
export const RIGHT_EYE_U_OFFSET = 10;

/** Per-frame inputs of the shading pass. */
export interface ShadeInputs {
  /** Reference image at output size as packed RGB words ({@link packRgba}). */
  reference32: Uint32Array;
  /** Neck/shoulder prior in source space at output size (1 = body). */
  bodyMask: Uint8Array;
  /** Iris shift in px for the left and right eye (x, y), applied inside the eye openings. */
  gazeShiftPx: Float32Array;
  warped: Uint8Array;
  labels: Uint8Array;
  disocclusion: Uint8Array;
}

/**
 * Packs an RGB image into 24-bit words (R in the low byte, no alpha: every value stays a
 * small integer for the JIT) for {@link shadeFrame}.
 */
export function packRgba(rgb: Uint8Array, out: Uint32Array): Uint32Array {
  let p = 0;
  if (LITTLE_ENDIAN && rgb.byteOffset % 4 === 0) {
    // Four pixels are three aligned words (r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3).
    const groups = out.length >> 2;
    const words = new Int32Array(rgb.buffer, rgb.byteOffset, groups * 3);
    for (let k = 0, w = 0; k < groups; k++, w += 3, p += 4) {
      const a = words[w] as number;
      const b = words[w + 1] as number;
      const c = words[w + 2] as number;
      out[p] = a & 0xffffff;
      out[p + 1] = (a >>> 24) | ((b & 0xffff) << 8);
      out[p + 2] = ((b >>> 16) & 0xffff) | ((c & 0xff) << 16);
      out[p + 3] = c >>> 8;
    }
  }
  for (let q = p * 3; p < out.length; p++, q += 3) {
    out[p] = (rgb[q] as number) | ((rgb[q + 1] as number) << 8) | ((rgb[q + 2] as number) << 16);
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

const MASK = 0x00ff00ff;
const ROUND = 0x00400040;

/**
 * Samples the reference at every pixel's source position (bilinear, 7-bit fixed-point
 * weights, two channels per integer operation) into `warped`, resolves labels (background
 * pixels whose source lies on the body prior become body) and writes the disocclusion mask
 * (mouth interior, eye interior, surface hidden in the reference). Inside the eye openings
 * the sampling point is shifted to move the iris. With `spans` (per row: first and last
 * pixel, inclusive; first > last for none) only those pixels are shaded; the rest keep
 * their values from an earlier frame.
 */
export function shadeFrame(g: GeometryBuffer, inputs: ShadeInputs, spans?: Int32Array): void {
  const W = g.width;
  const H = g.height;
  const { reference32: ref, bodyMask, gazeShiftPx, warped, labels, disocclusion } = inputs;
  const src = g.src;
  const raw = g.label;
  const aux = g.aux;
  const EYES = PART_LABELS.eyes;
  const MOUTH = PART_LABELS.mouthInterior;
  const BACKGROUND = PART_LABELS.background;
  const BODY = PART_LABELS.body;
  // Largest sampling coordinate that keeps x0 + 1 inside the image.
  const maxX = W - 1 - 1 / 256;
  const maxY = H - 1 - 1 / 256;
  for (let y = 0; y < H; y++) {
    const xStart = spans ? (spans[y * 2] as number) : 0;
    const xEnd = spans ? (spans[y * 2 + 1] as number) : W - 1;
    for (let p = y * W + xStart, pEnd = y * W + xEnd; p <= pEnd; p++) {
      const rawLabel = raw[p] as number;
      const label = rawLabel & 0x7f;
      let sx = (src[p * 2] as number) - 0.5;
      let sy = (src[p * 2 + 1] as number) - 0.5;
      if (label === EYES) {
        let u = aux[p * 3] as number;
        const v = aux[p * 3 + 1] as number;
        const e = u >= RIGHT_EYE_U_OFFSET - 1 ? 2 : 0;
        if (e === 2) u -= RIGHT_EYE_U_OFFSET;
        // Bump that is 1 mid-opening and 0 on the lids and at the corners.
        const f = 16 * u * (1 - u) * v * (1 - v);
        const w = f > 0 ? Math.min(f, 1) : 0;
        sx -= w * (gazeShiftPx[e] as number);
        sy -= w * (gazeShiftPx[e + 1] as number);
      }
      if (sx < 0) sx = 0;
      else if (sx > maxX) sx = maxX;
      if (sy < 0) sy = 0;
      else if (sy > maxY) sy = maxY;
      // 7-bit fixed point: every intermediate below stays under 2³¹ (int32 arithmetic).
      const xi = (sx * 128 + 0.5) | 0;
      const yi = (sy * 128 + 0.5) | 0;
      const fx = xi & 127;
      const fy = yi & 127;
      const o = (yi >> 7) * W + (xi >> 7);
      const p00 = ref[o] as number;
      const p01 = ref[o + 1] as number;
      const p10 = ref[o + W] as number;
      const p11 = ref[o + W + 1] as number;
      const gx = 128 - fx;
      const gy = 128 - fy;
      const topRb = (((p00 & MASK) * gx + (p01 & MASK) * fx + ROUND) >> 7) & MASK;
      const topG = ((((p00 >> 8) & MASK) * gx + ((p01 >> 8) & MASK) * fx + ROUND) >> 7) & MASK;
      const botRb = (((p10 & MASK) * gx + (p11 & MASK) * fx + ROUND) >> 7) & MASK;
      const botG = ((((p10 >> 8) & MASK) * gx + ((p11 >> 8) & MASK) * fx + ROUND) >> 7) & MASK;
      const rb = ((topRb * gy + botRb * fy + ROUND) >> 7) & MASK;
      const ga = ((topG * gy + botG * fy + ROUND) >> 7) & MASK;
      const q = p * 3;
      warped[q] = rb;
      warped[q + 1] = ga;
      warped[q + 2] = rb >> 16;
      let out = label;
      if (label === BACKGROUND && bodyMask[((sy + 0.5) | 0) * W + ((sx + 0.5) | 0)] === 1) {
        out = BODY;
      }
      labels[p] = out;
      disocclusion[p] =
        (rawLabel & HIDDEN_IN_SOURCE) !== 0 || label === MOUTH || label === EYES ? 255 : 0;
    }
  }
}
