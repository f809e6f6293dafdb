import type { GeometryBuffer } from './raster.ts';

/**
 * The person matte at work in the renderer: the reference's person/background split (from
 * src/segmentation) keeps the background still while the head, hair and face move.
 *
 * - `plate` is the reference's background with the person filled in from the surrounding
 *   background (push-pull over an image pyramid), built once per reference.
 * - Per frame, every moving pixel's warped colour has its background part moved back:
 *   `warped + (1 − a) · (plate(p) − plate(src))`, where `a` is the matte at the pixel's
 *   source. A background pixel dragged by the skirt then shows the background that is really
 *   at p; a person pixel (a = 1) keeps the warp; the soft matte edge blends the two, so the
 *   silhouette of a turning head is the photo's own soft edge. Where the warp is the identity
 *   (src = p) nothing changes: the reference frame still reproduces the photo exactly.
 */

/** Matte values (0–255) at or below this count as known background for the plate. */
const PLATE_BACKGROUND_MAX = 24;
/**
 * The person is grown by this fraction of the frame's longer side before the plate is
 * filled: the low-resolution matte's edge still holds hair colour, which would smear into
 * the fill.
 */
const PLATE_MARGIN = 0.03;

/**
 * Fills `plate` (RGB, `width` × `height`) with `image` where the matte says background and
 * elsewhere with a smooth extrapolation (push-pull) of the background at least
 * {@link PLATE_MARGIN} away from the person. Allocates its pyramid.
 */
export function buildBackgroundPlate(
  image: Uint8Array,
  matte: Uint8Array,
  width: number,
  height: number,
  plate: Uint8Array,
): void {
  const weight = new Float32Array(width * height);
  const color = new Float32Array(width * height * 3);
  const grown = dilate(matte, width, height, Math.round(PLATE_MARGIN * Math.max(width, height)));
  for (let p = 0; p < width * height; p++) {
    if ((grown[p] as number) > PLATE_BACKGROUND_MAX) continue;
    weight[p] = 1;
    for (let c = 0; c < 3; c++) color[p * 3 + c] = image[p * 3 + c] as number;
  }
  const filled = pushPull(color, weight, width, height);
  // Known background keeps its own colours; only the person's area takes the fill.
  for (let p = 0; p < width * height; p++) {
    const own = (matte[p] as number) <= PLATE_BACKGROUND_MAX;
    for (let c = 0; c < 3; c++) {
      const q = p * 3 + c;
      plate[q] = own ? (image[q] as number) : Math.round(filled[q] as number);
    }
  }
}

/** Grey-scale dilation by a (2r+1)² square: max filter along rows, then along columns. */
function dilate(values: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const rows = new Uint8Array(values.length);
  const out = new Uint8Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let k = Math.max(0, x - r); k <= Math.min(width - 1, x + r); k++)
        m = Math.max(m, values[y * width + k] as number);
      rows[y * width + x] = m;
    }
  }
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      let m = 0;
      for (let k = Math.max(0, y - r); k <= Math.min(height - 1, y + r); k++)
        m = Math.max(m, rows[k * width + x] as number);
      out[y * width + x] = m;
    }
  }
  return out;
}

/**
 * Push-pull fill: averages known colours down a pyramid (weights summed, capped at 1) and
 * fills each level's unknown part from the coarser level, bilinearly. Returns the filled
 * level-0 colours (`color` premultiplied by `weight`, weights 0 or 1 at level 0).
 */
function pushPull(
  color: Float32Array,
  weight: Float32Array,
  width: number,
  height: number,
): Float32Array {
  if ((width <= 1 && height <= 1) || !weight.some((w) => w < 1)) return color;
  const w2 = Math.max(1, Math.ceil(width / 2));
  const h2 = Math.max(1, Math.ceil(height / 2));
  const cw = new Float32Array(w2 * h2);
  const cc = new Float32Array(w2 * h2 * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const q = (y >> 1) * w2 + (x >> 1);
      const w = weight[p] as number;
      cw[q] = (cw[q] as number) + w;
      for (let c = 0; c < 3; c++)
        cc[q * 3 + c] = (cc[q * 3 + c] as number) + (color[p * 3 + c] as number);
    }
  }
  // Normalise to colour × min(1, weight): coarse cells with any known pixel count as known.
  for (let q = 0; q < w2 * h2; q++) {
    const w = cw[q] as number;
    if (w <= 0) continue;
    const k = Math.min(1, w) / w;
    for (let c = 0; c < 3; c++) cc[q * 3 + c] = (cc[q * 3 + c] as number) * k;
    cw[q] = Math.min(1, w);
  }
  const coarse = pushPull(cc, cw, w2, h2);
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(h2 - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h2 - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(w2 - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w2 - 1, x0 + 1);
      const tx = fx - x0;
      const p = y * width + x;
      const w = weight[p] as number;
      for (let c = 0; c < 3; c++) {
        const top =
          (coarse[(y0 * w2 + x0) * 3 + c] as number) * (1 - tx) +
          (coarse[(y0 * w2 + x1) * 3 + c] as number) * tx;
        const bottom =
          (coarse[(y1 * w2 + x0) * 3 + c] as number) * (1 - tx) +
          (coarse[(y1 * w2 + x1) * 3 + c] as number) * tx;
        const up = top * (1 - ty) + bottom * ty;
        out[p * 3 + c] = (color[p * 3 + c] as number) + (1 - w) * up;
      }
    }
  }
  return out;
}

/**
 * Moves the background part of every warped pixel back to where it belongs (see the module
 * comment). `matte` and `plate` are at output size in source space; with `spans` only those
 * pixels (per row: first, last inclusive) are touched.
 */
export function holdBackground(
  g: GeometryBuffer,
  matte: Uint8Array,
  plate: Uint8Array,
  warped: Uint8Array,
  spans?: Int32Array,
): void {
  const W = g.width;
  const H = g.height;
  const src = g.src;
  const maxX = W - 1 - 1 / 256;
  const maxY = H - 1 - 1 / 256;
  for (let y = 0; y < H; y++) {
    const xStart = spans ? (spans[y * 2] as number) : 0;
    const xEnd = spans ? (spans[y * 2 + 1] as number) : W - 1;
    for (let x = xStart; x <= xEnd; x++) {
      const p = y * W + x;
      let sx = (src[p * 2] as number) - 0.5;
      let sy = (src[p * 2 + 1] as number) - 0.5;
      if (Math.abs(sx - x) < 1e-3 && Math.abs(sy - y) < 1e-3) continue; // identity: nothing moved
      sx = Math.min(Math.max(sx, 0), maxX);
      sy = Math.min(Math.max(sy, 0), maxY);
      const x0 = sx | 0;
      const y0 = sy | 0;
      const fx = sx - x0;
      const fy = sy - y0;
      const o = y0 * W + x0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const a =
        ((matte[o] as number) * w00 +
          (matte[o + 1] as number) * w01 +
          (matte[o + W] as number) * w10 +
          (matte[o + W + 1] as number) * w11) /
        255;
      if (a >= 0.998) continue;
      const keep = 1 - a;
      const q = p * 3;
      for (let c = 0; c < 3; c++) {
        const moved =
          (plate[o * 3 + c] as number) * w00 +
          (plate[(o + 1) * 3 + c] as number) * w01 +
          (plate[(o + W) * 3 + c] as number) * w10 +
          (plate[(o + W + 1) * 3 + c] as number) * w11;
        const v = (warped[q + c] as number) + keep * ((plate[q + c] as number) - moved);
        warped[q + c] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
      }
    }
  }
}
