import { PART_LABELS } from './labels.ts';
import type { GeometryBuffer } from './raster.ts';

/**
 * What the mouth-interior fill needs from the reference, measured once per reference.
 *
 * The fill is drawn in the opening's own coordinates (u along the mouth, distance in px from
 * each lip): an upper teeth band hanging from the upper lip (teeth belong to the skull, so
 * the band keeps its size however far the jaw drops), a thinner lower band on the lower lip,
 * a dark cavity tinted by the lips, darker at the back and in the corners, and a tongue once
 * the mouth is open enough. Where the reference shows its own teeth (`teethInPhoto`), their
 * colour is used. While the mouth is open no wider than in the reference, the reference's
 * own interior (its real teeth) is kept, fading to the drawn interior by 1.8× that
 * opening, so the reference frame reproduces the photo exactly.
 */
export interface MouthStyle {
  teethInPhoto: boolean;
  /** Mean gap between the reference's inner lips over the middle of the mouth, px. */
  openingPx: number;
  teeth: Float32Array;
  cavity: Float32Array;
  /** Interior colour of a narrow opening (lit inner lips and tongue tip). */
  shallow: Float32Array;
  /** Colour of the inner edge of the lips, where the fill meets them. */
  lipEdge: Float32Array;
  tongue: Float32Array;
}

/** Per-frame mouth geometry. */
export interface MouthFrame {
  /** Distance between the inner lip corners in the output, px. */
  widthPx: number;
  /**
   * How much of the reference's own interior to keep, 0…1: 1 while the mouth is open no
   * wider than in the reference (mean gap of the middle of the mouth), fading out by 1.8×.
   */
  rest: number;
  /** Pixel rows/cols that can contain mouth interior. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

const lumaOf = (c: ArrayLike<number>) =>
  0.299 * (c[0] as number) + 0.587 * (c[1] as number) + 0.114 * (c[2] as number);

/**
 * Measures the fill's colours from the reference at output size (`rgb`, `width` px wide):
 * `lip` and `skin` are mean RGB colours of the lips and the skin. The reference shows teeth
 * when, along the middle of its inner-lip gap (itself at least 4 % of the mouth width), most
 * columns have a point brighter than 62 % of the skin.
 */
export function mouthStyle(
  rgb: Uint8Array,
  width: number,
  height: number,
  lip: ArrayLike<number>,
  skin: ArrayLike<number>,
  sourceUpper: Float32Array,
  sourceLower: Float32Array,
): MouthStyle {
  const skinLuma = lumaOf(skin);
  const n = sourceUpper.length / 2;
  const mouthWidth = Math.hypot(
    sourceUpper[(n - 1) * 2]! - sourceUpper[0]!,
    sourceUpper[(n - 1) * 2 + 1]! - sourceUpper[1]!,
  );
  let gap = 0;
  let bright = 0;
  const teethSum = [0, 0, 0];
  let columns = 0;
  for (let k = Math.floor(n * 0.3); k <= Math.ceil(n * 0.7) - 1; k++) {
    columns++;
    const ux = sourceUpper[k * 2]!;
    const uy = sourceUpper[k * 2 + 1]!;
    const lx = sourceLower[k * 2]!;
    const ly = sourceLower[k * 2 + 1]!;
    gap += Math.hypot(lx - ux, ly - uy);
    let best = -1;
    let bestAt = 0;
    for (const v of [0.2, 0.35, 0.5, 0.65]) {
      const x = Math.min(width - 1, Math.max(0, Math.floor(ux + (lx - ux) * v)));
      const y = Math.min(height - 1, Math.max(0, Math.floor(uy + (ly - uy) * v)));
      const o = (y * width + x) * 3;
      const l = lumaOf([rgb[o]!, rgb[o + 1]!, rgb[o + 2]!]);
      if (l > best) {
        best = l;
        bestAt = o;
      }
    }
    if (best > 0.62 * skinLuma) {
      bright++;
      for (let c = 0; c < 3; c++) teethSum[c]! += rgb[bestAt + c]!;
    }
  }
  const teethInPhoto = gap / Math.max(1, columns) > 0.04 * mouthWidth && bright * 2 > columns;
  // Teeth are lit like the face: off-white scaled by the skin's brightness, or the photo's own.
  const light = Math.min(1.05, Math.max(0.5, skinLuma / 175));
  const teeth = teethInPhoto
    ? Float32Array.from(teethSum.map((s) => Math.min(255, (s / bright) * 1.05)))
    : Float32Array.from([232, 224, 208].map((c) => c * light));
  const cavity = Float32Array.from(
    [0, 1, 2].map((c) => (lip[c] as number) * 0.32 + [10, 3, 4][c]!),
  );
  const tongue = Float32Array.from(
    [0, 1, 2].map((c) => ((lip[c] as number) * 0.7 + [200, 95, 105][c]! * 0.3) * 0.72),
  );
  const shallow = Float32Array.from(
    [0, 1, 2].map((c) => (lip[c] as number) * 0.5 + [10, 4, 6][c]!),
  );
  return {
    teethInPhoto,
    openingPx: gap / Math.max(1, columns),
    teeth,
    cavity,
    shallow,
    lipEdge: Float32Array.from([0, 1, 2].map((c) => (lip[c] as number) * 0.75)),
    tongue,
  };
}

export function smoothstep(e0: number, e1: number, x: number): number {
  const t = (x - e0) / (e1 - e0);
  const c = t < 0 ? 0 : Math.min(t, 1);
  return c * c * (3 - 2 * c);
}

/**
 * Paints the mouth interior of `composite` (pixels labelled mouth interior) from the
 * opening parameters the rasteriser left in `g.aux` (u along the mouth 0…1, v across 0 at
 * the upper lip … 1 at the lower, opening height px), see {@link MouthStyle}. The fill fades
 * over ~1.5 px into the warped lip edge, so the lip line stays anti-aliased.
 */
export function fillMouth(
  g: GeometryBuffer,
  labels: Uint8Array,
  warped: Uint8Array,
  composite: Uint8Array,
  style: MouthStyle,
  frame: MouthFrame,
): void {
  const W = g.width;
  const H = g.height;
  const aux = g.aux;
  const mw = Math.max(frame.widthPx, 1);
  const { teeth, cavity, shallow, tongue, lipEdge } = style;
  const gaps = mw > 60;
  const y0 = Math.max(0, frame.y0);
  const y1 = Math.min(H - 1, frame.y1);
  const x0 = Math.max(0, frame.x0);
  const x1 = Math.min(W - 1, frame.x1);
  const MOUTH = PART_LABELS.mouthInterior;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = y * W + x;
      if (labels[p] !== MOUTH) continue;
      const u = aux[p * 3] as number;
      const v = Math.min(1, Math.max(0, aux[p * 3 + 1] as number));
      const h = Math.max(aux[p * 3 + 2] as number, 1e-3);
      const yTop = v * h;
      const yBot = h - yTop;
      const cu = Math.min(1, Math.abs(u - 0.5) * 2);

      // Cavity: darkest in the middle of the opening and in the corners.
      const depth =
        (0.6 + 0.4 * (1 - Math.sin(Math.PI * v) * (1 - cu * cu))) *
        (1 - 0.3 * smoothstep(0.6, 1, cu));
      // A narrow opening lets light in (inner lips, the tongue just behind): not black.
      const narrow = 1 - smoothstep(0.08 * mw, 0.35 * mw, h);
      let r = (cavity[0]! + (shallow[0]! - cavity[0]!) * narrow) * depth;
      let gg = (cavity[1]! + (shallow[1]! - cavity[1]!) * narrow) * depth;
      let b = (cavity[2]! + (shallow[2]! - cavity[2]!) * narrow) * depth;

      // Tongue: an ellipse resting on the lower lip, seen once the mouth is open enough.
      const tu = (u - 0.5) / 0.3;
      const tv = (v - 1.05) / 0.55;
      const tongueA =
        (1 - smoothstep(0.6, 1.0, tu * tu + tv * tv)) * smoothstep(0.1 * mw, 0.28 * mw, h);
      if (tongueA > 0) {
        const s = (0.55 + 0.45 * smoothstep(0.45, 1, v)) * (1 - 0.4 * smoothstep(0.4, 1, cu));
        r += (tongue[0]! * s - r) * tongueA;
        gg += (tongue[1]! * s - gg) * tongueA;
        b += (tongue[2]! * s - b) * tongueA;
      }

      // Teeth: visible in the middle of the mouth, fading into the dark corridor at the sides.
      const sideMask = 1 - smoothstep(0.55, 0.82, cu);
      const sideShade = 1 - 0.5 * smoothstep(0.05, 0.7, cu);
      let gapShade = 1;
      if (gaps) {
        const t = (u - 0.5) * 9;
        const d = Math.abs(t - Math.round(t));
        gapShade = 1 - 0.18 * (1 - smoothstep(0, 0.1, d));
      }
      const lowH = Math.min(0.05 * mw, 0.3 * h) * (1 - 0.5 * cu * cu);
      const lowA = (1 - smoothstep(lowH - 0.7, lowH + 0.7, yBot)) * sideMask * 0.85;
      if (lowA > 0) {
        const s = 0.68 * sideShade * gapShade;
        r += (teeth[0]! * s - r) * lowA;
        gg += (teeth[1]! * s - gg) * lowA;
        b += (teeth[2]! * s - b) * lowA;
      }
      // Upper teeth: shorter towards the sides (a curved incisal edge), gum-line shadow.
      const upH = Math.min(0.12 * mw, 0.65 * h) * (1 - 0.35 * cu * cu);
      const upA = (1 - smoothstep(upH - 0.7, upH + 0.7, yTop)) * sideMask;
      if (upA > 0) {
        const gum = 0.68 + 0.32 * smoothstep(0, 0.4 * upH, yTop);
        const tr = teeth[0]! * sideShade * gapShade * gum;
        const tg = teeth[1]! * sideShade * gapShade * gum;
        const tb = teeth[2]! * sideShade * gapShade * gum;
        r += (tr - r) * upA;
        gg += (tg - gg) * upA;
        b += (tb - b) * upA;
      }

      // No wider open than in the reference: its own interior (the plain warp).
      const rest = frame.rest;
      const q = p * 3;
      if (rest > 0) {
        r += (warped[q]! - r) * rest;
        gg += (warped[q + 1]! - gg) * rest;
        b += (warped[q + 2]! - b) * rest;
      }
      // Anti-aliased lip line: within ~1.2 px of the lips fade into the inner-lip colour (the
      // plain warp there is the reference's lip seam stretched, a dark line), except at rest.
      const edge = smoothstep(0, 1.2, Math.min(yTop, yBot));
      const er = warped[q]! + (lipEdge[0]! - warped[q]!) * (1 - rest);
      const eg = warped[q + 1]! + (lipEdge[1]! - warped[q + 1]!) * (1 - rest);
      const eb = warped[q + 2]! + (lipEdge[2]! - warped[q + 2]!) * (1 - rest);
      composite[q] = er + (r - er) * edge + 0.5;
      composite[q + 1] = eg + (gg - eg) * edge + 0.5;
      composite[q + 2] = eb + (b - eb) * edge + 0.5;
    }
  }
  if (frame.rest < 1) liftLipSeam(labels, composite, W, x0, x1, y0, y1, lipEdge, 1 - frame.rest);
}

/**
 * The reference's lips meet in a dark seam just outside its inner-lip contour; opening the
 * mouth stretches that seam over the inner edge of both lips as a black rim. Lip pixels
 * within 4 px of the opening that are darker than the inner-lip colour are lifted towards
 * it, in proportion to how dark they are and to `amount` (how far the mouth is open beyond
 * the reference).
 */
function liftLipSeam(
  labels: Uint8Array,
  composite: Uint8Array,
  W: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  lipEdge: Float32Array,
  amount: number,
): void {
  const LIPS = PART_LABELS.lips;
  const MOUTH = PART_LABELS.mouthInterior;
  const edgeLuma = lumaOf(lipEdge);
  const R = 4;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = y * W + x;
      if (labels[p] !== LIPS) continue;
      let best = R * R + 1;
      for (let dy = -R; dy <= R; dy++) {
        const yy = y + dy;
        if (yy < y0 || yy > y1) continue;
        for (let dx = -R; dx <= R; dx++) {
          const xx = x + dx;
          if (xx < x0 || xx > x1) continue;
          if (labels[yy * W + xx] === MOUTH) best = Math.min(best, dx * dx + dy * dy);
        }
      }
      if (best > R * R) continue;
      const q = p * 3;
      const luma = lumaOf([composite[q]!, composite[q + 1]!, composite[q + 2]!]);
      const dark = Math.min(1, Math.max(0, (edgeLuma - luma) / (0.5 * edgeLuma)));
      const a = amount * dark * (1 - smoothstep(2.5, 4, Math.sqrt(best)));
      if (a <= 0) continue;
      composite[q] = composite[q]! + (lipEdge[0]! - composite[q]!) * a + 0.5;
      composite[q + 1] = composite[q + 1]! + (lipEdge[1]! - composite[q + 1]!) * a + 0.5;
      composite[q + 2] = composite[q + 2]! + (lipEdge[2]! - composite[q + 2]!) * a + 0.5;
    }
  }
}
