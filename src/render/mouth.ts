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
 * colour is used and the top of the opening is the reference's own pixels at their own
 * scale. While the mouth is open no wider than in the reference, the reference's own
 * interior is kept, so the reference frame reproduces the photo exactly.
 */
export interface MouthStyle {
  teethInPhoto: boolean;
  /** Mean gap between the reference's inner lips over the middle of the mouth, px. */
  openingPx: number;
  teeth: Float32Array;
  cavity: Float32Array;
  tongue: Float32Array;
  /** Source (reference) positions of the upper and lower inner-lip points, 2 floats per point. */
  sourceUpper: Float32Array;
  sourceLower: Float32Array;
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
  const cavity = Float32Array.from([0, 1, 2].map((c) => (lip[c] as number) * 0.22 + [6, 1, 2][c]!));
  const tongue = Float32Array.from(
    [0, 1, 2].map((c) => ((lip[c] as number) * 0.7 + [200, 95, 105][c]! * 0.3) * 0.72),
  );
  return {
    teethInPhoto,
    openingPx: gap / Math.max(1, columns),
    teeth,
    cavity,
    tongue,
    sourceUpper,
    sourceLower,
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
  reference: Uint8Array,
  warped: Uint8Array,
  composite: Uint8Array,
  style: MouthStyle,
  frame: MouthFrame,
): void {
  const W = g.width;
  const H = g.height;
  const aux = g.aux;
  const mw = Math.max(frame.widthPx, 1);
  const { teeth, cavity, tongue, teethInPhoto } = style;
  const su = style.sourceUpper;
  const sl = style.sourceLower;
  const columns = su.length / 2 - 1;
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
        (0.5 + 0.5 * (1 - Math.sin(Math.PI * v) * (1 - cu * cu))) *
        (1 - 0.45 * smoothstep(0.55, 1, cu));
      let r = cavity[0]! * depth;
      let gg = cavity[1]! * depth;
      let b = cavity[2]! * depth;

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
      const sideMask = 1 - smoothstep(0.42, 0.72, cu);
      const sideShade = 1 - 0.5 * smoothstep(0.05, 0.7, cu);
      let gapShade = 1;
      if (gaps) {
        const t = (u - 0.5) * 9;
        const d = Math.abs(t - Math.round(t));
        gapShade = 1 - 0.18 * (1 - smoothstep(0, 0.1, d));
      }
      const lowH = Math.min(0.05 * mw, 0.2 * h) * (1 - 0.5 * cu * cu);
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
        const s = sideShade * gapShade * (0.68 + 0.32 * smoothstep(0, 0.4 * upH, yTop));
        r += (teeth[0]! * s - r) * upA;
        gg += (teeth[1]! * s - gg) * upA;
        b += (teeth[2]! * s - b) * upA;
      }

      // The reference's own opening at this point along the mouth.
      const fu = Math.min(columns, Math.max(0, u * columns));
      const i = Math.min(columns - 1, fu | 0);
      const f = fu - i;
      const ux = su[i * 2]! + (su[i * 2 + 2]! - su[i * 2]!) * f;
      const uy = su[i * 2 + 1]! + (su[i * 2 + 3]! - su[i * 2 + 1]!) * f;
      const lx = sl[i * 2]! + (sl[i * 2 + 2]! - sl[i * 2]!) * f;
      const ly = sl[i * 2 + 1]! + (sl[i * 2 + 3]! - sl[i * 2 + 1]!) * f;
      const hs = Math.hypot(lx - ux, ly - uy);
      if (teethInPhoto && hs > 1) {
        // The top of the opening: the reference's own teeth, at their own scale.
        const vs = yTop / hs;
        const photoA = 1 - smoothstep(0.55, 0.9, vs);
        if (photoA > 0) {
          const xi = Math.min(W - 1, Math.max(0, Math.round(ux + (lx - ux) * vs - 0.5)));
          const yi = Math.min(H - 1, Math.max(0, Math.round(uy + (ly - uy) * vs - 0.5)));
          const o = (yi * W + xi) * 3;
          r += (reference[o]! - r) * photoA;
          gg += (reference[o + 1]! - gg) * photoA;
          b += (reference[o + 2]! - b) * photoA;
        }
      }
      // No wider open than in the reference: its own interior (the plain warp).
      const rest = frame.rest;
      const q = p * 3;
      if (rest > 0) {
        r += (warped[q]! - r) * rest;
        gg += (warped[q + 1]! - gg) * rest;
        b += (warped[q + 2]! - b) * rest;
      }
      // Anti-aliased lip line: fade into the warped lip edge over ~1.5 px.
      const edge = smoothstep(0, 1.5, Math.min(yTop, yBot));
      composite[q] = composite[q]! + (r - composite[q]!) * edge + 0.5;
      composite[q + 1] = composite[q + 1]! + (gg - composite[q + 1]!) * edge + 0.5;
      composite[q + 2] = composite[q + 2]! + (b - composite[q + 2]!) * edge + 0.5;
    }
  }
}
