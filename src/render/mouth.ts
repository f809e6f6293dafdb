import { PART_LABELS } from './labels.ts';
import type { GeometryBuffer } from './raster.ts';

/**
 * Colours and mode of the mouth-interior fill, measured once per reference.
 *
 * `procedural`: the reference's mouth is closed (nothing to show), so the interior is drawn:
 * a dark cavity tinted by the lips, an upper teeth band hanging from the upper lip, a thinner
 * lower band, and a tongue at the back, all sized from the mouth width.
 * `photo`: the reference shows its mouth interior (teeth); the upper part of the opening is
 * taken from the reference at its own scale (teeth keep their size and stay under the upper
 * lip), and the procedural cavity/tongue fill whatever opens beyond it.
 */
export interface MouthStyle {
  mode: 'procedural' | 'photo';
  teeth: Float32Array;
  cavity: Float32Array;
  tongue: Float32Array;
  /** In photo mode: source (reference) positions of the upper and lower inner-lip points, 2 per point. */
  sourceUpper: Float32Array;
  sourceLower: Float32Array;
}

/** Per-frame mouth geometry. */
export interface MouthFrame {
  /** Distance between the inner lip corners in the output, px. */
  widthPx: number;
  /** Pixel rows/cols that can contain mouth interior. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

const lumaOf = (c: ArrayLike<number>) =>
  0.299 * (c[0] as number) + 0.587 * (c[1] as number) + 0.114 * (c[2] as number);

/**
 * Decides the fill mode and measures colours from the reference (at output size):
 * `lip` and `skin` are mean RGB colours of the lips and the skin; `openingRatio` is the
 * reference's mean inner-lip gap over the mouth width and `interior` the mean colour inside
 * that gap. Photo mode needs a real gap (≥ 6 % of the width) that is bright (teeth): a
 * dark gap is cavity the procedural fill draws better.
 */
export function mouthStyle(
  lip: ArrayLike<number>,
  skin: ArrayLike<number>,
  interior: ArrayLike<number>,
  openingRatio: number,
  sourceUpper: Float32Array,
  sourceLower: Float32Array,
): MouthStyle {
  const luma = lumaOf(skin);
  // Teeth are lit like the face: off-white scaled by the skin's brightness.
  const light = Math.min(1.05, Math.max(0.5, luma / 175));
  const teeth = Float32Array.from([232, 224, 208].map((c) => c * light));
  const cavity = Float32Array.from([0, 1, 2].map((c) => (lip[c] as number) * 0.24 + [8, 2, 3][c]!));
  const tongue = Float32Array.from(
    [0, 1, 2].map((c) => ((lip[c] as number) * 0.7 + [200, 95, 105][c]! * 0.3) * 0.78),
  );
  return {
    mode: openingRatio > 0.06 && lumaOf(interior) > 0.6 * luma ? 'photo' : 'procedural',
    teeth,
    cavity,
    tongue,
    sourceUpper,
    sourceLower,
  };
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = (x - e0) / (e1 - e0);
  const c = t < 0 ? 0 : Math.min(t, 1);
  return c * c * (3 - 2 * c);
}

/**
 * Paints the mouth interior of `composite` (pixels labelled mouth interior) from the
 * opening parameters the rasteriser left in `g.aux` (u along the mouth 0…1, v across 0 at
 * the upper lip … 1 at the lower, opening height px). The fill fades over ~1.5 px into the
 * warped lip edge, so the lip line stays anti-aliased.
 */
export function fillMouth(
  g: GeometryBuffer,
  labels: Uint8Array,
  reference: Uint8Array,
  composite: Uint8Array,
  style: MouthStyle,
  frame: MouthFrame,
): void {
  const W = g.width;
  const H = g.height;
  const aux = g.aux;
  const mw = Math.max(frame.widthPx, 1);
  const { teeth, cavity, tongue } = style;
  const photo = style.mode === 'photo';
  const columns = style.sourceUpper.length / 2 - 1;
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
      const v = aux[p * 3 + 1] as number;
      const h = Math.max(aux[p * 3 + 2] as number, 1e-3);
      const yTop = v * h;
      const yBot = h - yTop;
      const cu = Math.min(1, Math.abs(u - 0.5) * 2);
      // Cavity: darkest in the middle of the opening.
      const depth =
        0.45 + 0.55 * (1 - Math.sin(Math.PI * Math.min(1, Math.max(0, v))) * (1 - cu * cu));
      let r = (cavity[0] as number) * depth;
      let gg = (cavity[1] as number) * depth;
      let b = (cavity[2] as number) * depth;
      // Tongue: an ellipse resting on the lower lip, seen once the mouth is open enough.
      const tu = (u - 0.5) / 0.32;
      const tv = (v - 1.02) / 0.5;
      const tongueA =
        (1 - smoothstep(0.6, 1.0, tu * tu + tv * tv)) * smoothstep(0.1 * mw, 0.25 * mw, h);
      if (tongueA > 0) {
        const shade = 0.6 + 0.4 * smoothstep(0.5, 1, v);
        r += (tongue[0]! * shade - r) * tongueA;
        gg += (tongue[1]! * shade - gg) * tongueA;
        b += (tongue[2]! * shade - b) * tongueA;
      }
      const sideMask = 1 - smoothstep(0.5, 0.85, cu);
      const sideShade = 1 - 0.5 * smoothstep(0.15, 0.8, cu);
      let gapShade = 1;
      if (gaps) {
        const t = (u - 0.5) * 9;
        const d = Math.abs(t - Math.round(t));
        gapShade = 1 - 0.2 * (1 - smoothstep(0, 0.09, d));
      }
      // Lower teeth: a thin band just above the lower lip.
      const lowH = Math.min(0.055 * mw, 0.22 * h);
      const lowA = (1 - smoothstep(lowH - 0.7, lowH + 0.7, yBot)) * sideMask * 0.85;
      if (lowA > 0) {
        const s = 0.72 * sideShade * gapShade;
        r += (teeth[0]! * s - r) * lowA;
        gg += (teeth[1]! * s - gg) * lowA;
        b += (teeth[2]! * s - b) * lowA;
      }
      let upA = 0;
      let ur = 0;
      let ug = 0;
      let ub = 0;
      // The reference's own opening at this point along the mouth.
      const fu = Math.min(columns, Math.max(0, u * columns));
      const i = Math.min(columns - 1, fu | 0);
      const f = fu - i;
      const su = style.sourceUpper;
      const sl = style.sourceLower;
      const ux = su[i * 2]! + (su[i * 2 + 2]! - su[i * 2]!) * f;
      const uy = su[i * 2 + 1]! + (su[i * 2 + 3]! - su[i * 2 + 1]!) * f;
      const lx = sl[i * 2]! + (sl[i * 2 + 2]! - sl[i * 2]!) * f;
      const ly = sl[i * 2 + 1]! + (sl[i * 2 + 3]! - sl[i * 2 + 1]!) * f;
      const hs = Math.hypot(lx - ux, ly - uy);
      // Procedural mode keeps the reference's interior while the mouth is no wider open than
      // in the reference, and fades to the drawn interior as it opens further.
      let amount = 1;
      if (photo) {
        // Reference interior at its own scale, hanging from the upper lip.
        if (hs > 0.5) {
          const vs = Math.min(1, yTop / hs);
          upA = 1 - smoothstep(0.75, 1, yTop / hs);
          const sx = ux + (lx - ux) * vs;
          const sy = uy + (ly - uy) * vs;
          const xi = Math.min(W - 1, Math.max(0, Math.round(sx - 0.5)));
          const yi = Math.min(H - 1, Math.max(0, Math.round(sy - 0.5)));
          const o = (yi * W + xi) * 3;
          ur = reference[o]!;
          ug = reference[o + 1]!;
          ub = reference[o + 2]!;
        }
      } else {
        amount = hs > 0.5 ? smoothstep(1.05, 1.8, h / hs) : 1;
        // Upper teeth: a band under the upper lip, in shadow at the gum line.
        const upH = Math.min(0.13 * mw, 0.6 * h);
        upA = (1 - smoothstep(upH - 0.7, upH + 0.7, yTop)) * sideMask;
        const s = sideShade * gapShade * (0.7 + 0.3 * smoothstep(0, 0.4 * upH, yTop));
        ur = teeth[0]! * s;
        ug = teeth[1]! * s;
        ub = teeth[2]! * s;
      }
      if (upA > 0) {
        r += (ur - r) * upA;
        gg += (ug - gg) * upA;
        b += (ub - b) * upA;
      }
      // Fade into the warped lip edge over ~1.5 px.
      const edge = smoothstep(0, 1.5, Math.min(yTop, yBot)) * amount;
      if (edge <= 0) continue;
      const q = p * 3;
      composite[q] = composite[q]! + (r - composite[q]!) * edge + 0.5;
      composite[q + 1] = composite[q + 1]! + (gg - composite[q + 1]!) * edge + 0.5;
      composite[q + 2] = composite[q + 2]! + (b - composite[q + 2]!) * edge + 0.5;
    }
  }
}
