import { BLENDSHAPE_INDEX } from '../controls/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from './model.ts';
import { type FacePose, rotationMatrix } from './pose.ts';

/**
 * The mouth as 2-D points show it. One definition for landmarks, a projected mesh and the
 * lip-sync measure: the mean gap of three inner-lip pairs across the middle of the mouth
 * (13/14, 82/87, 312/317) and the inner-corner distance (78–308), both over the outer
 * eye-corner distance (33–263), so they do not depend on the face's size in the image.
 */
export const LIP_GAP_PAIRS: readonly (readonly [number, number])[] = Object.freeze([
  [13, 14],
  [82, 87],
  [312, 317],
]);
const EYE_CORNERS = [33, 263] as const;
const INNER_CORNERS = [78, 308] as const;
const OUTER_CORNERS = [61, 291] as const;

export interface MouthMeasure {
  /** Inner-lip gap / eye-corner distance (a closed mouth ≈ 0.01, speech 0.03–0.15). */
  gap: number;
  /** Inner-corner distance / eye-corner distance. */
  width: number;
  /**
   * How far the outer mouth corners sit above the middle of the lip line, along the face's
   * vertical (perpendicular to the eye line), / eye-corner distance: > 0 in a smile.
   */
  cornerLift: number;
}

/**
 * Reads the mouth from 2-D points (x, y, z per point, px): detector landmarks or a projected
 * mesh. `stride`/`offset` select one frame of a packed array.
 *
 * @example
 * const { gap } = measureMouth(face.landmarks);
 */
export function measureMouth(points: ArrayLike<number>, offset = 0): MouthMeasure {
  const x = (i: number) => points[offset + i * 3] as number;
  const y = (i: number) => points[offset + i * 3 + 1] as number;
  const dist = (a: number, b: number) => Math.hypot(x(a) - x(b), y(a) - y(b));
  const eye = dist(...EYE_CORNERS);
  let gap = 0;
  for (const [a, b] of LIP_GAP_PAIRS) gap += dist(a, b) / LIP_GAP_PAIRS.length;
  // The face's "up" is perpendicular to the eye line (roll-invariant).
  const ex = (x(EYE_CORNERS[1]) - x(EYE_CORNERS[0])) / eye;
  const ey = (y(EYE_CORNERS[1]) - y(EYE_CORNERS[0])) / eye;
  const up = (i: number) => ex * y(i) - ey * x(i);
  const centre = (up(13) + up(14)) / 2;
  const corners = (up(OUTER_CORNERS[0]) + up(OUTER_CORNERS[1])) / 2;
  // Image y grows downwards, so "higher" is a smaller `up`.
  return {
    gap: gap / eye,
    width: dist(...INNER_CORNERS) / eye,
    cornerLift: (centre - corners) / eye,
  };
}

/** What a photo's mouth shows. */
export type MouthState = 'closed' | 'open' | 'teeth';

/**
 * Thresholds of {@link classifyMouth}, chosen on non-held-out photos and video frames
 * (shared fixtures), never on test/fixtures/heldout.
 */
export const MOUTH_STATE_THRESHOLDS = Object.freeze({
  /** Lips apart: inner-lip gap above this share of the eye-corner distance. */
  openGap: 0.035,
  /** Smiling: mouth corners lifted above the lip line by this share of the eye distance. */
  smileLift: 0.02,
});

/**
 * The photo's mouth state from its landmarks: `closed` (lips together), `teeth` (lips apart
 * in a smile: the lips part over closed or nearly closed teeth), or `open` (the jaw dropped,
 * as mid-word or in surprise).
 */
export function classifyMouth(opening: MouthMeasure): MouthState {
  if (opening.gap < MOUTH_STATE_THRESHOLDS.openGap) return 'closed';
  return opening.cornerLift > MOUTH_STATE_THRESHOLDS.smileLift ? 'teeth' : 'open';
}

/** Shapes that carry an opening, by state: the jaw for an open mouth, the lips for a smile. */
const JAW = [BLENDSHAPE_INDEX.jawOpen];
const LIPS = [
  BLENDSHAPE_INDEX.mouthUpperUpLeft,
  BLENDSHAPE_INDEX.mouthUpperUpRight,
  BLENDSHAPE_INDEX.mouthLowerDownLeft,
  BLENDSHAPE_INDEX.mouthLowerDownRight,
];

/** The result of {@link closeMouth}. */
export interface ClosedMouth {
  /** The neutral shape with the lips together (468 × 3, model cm). */
  identity: Float32Array;
  /** Weight moved onto each carrier shape (ARKit index → amount added). */
  moved: Map<number, number>;
}

/**
 * Closes the lips of a neutral shape by a mesh warp along the model's own mouth shapes: the
 * part of the inner-lip gap beyond the model neutral's is taken out with the carrier shapes
 * (jawOpen for `open` and `closed`; the upper/lower lip raisers first, then jawOpen, for
 * `teeth`), solved
 * in least squares over the inner-lip pairs. `identity − Σ moved·basis` has closed lips, and
 * `closed + (weights + moved)` is the same mesh as `identity + weights`, so a reference image
 * stays exactly where it was while Controls weight 0 now means a closed mouth.
 *
 * `limits` caps each carrier's amount (e.g. 1 − the weight already there).
 */
export function closeMouth(
  model: FaceModel,
  identity: ArrayLike<number>,
  state: MouthState,
  limits: ArrayLike<number> = new Float32Array(model.basis.length / (FACE_VERTEX_COUNT * 3)).fill(
    1,
  ),
): ClosedMouth {
  const out = Float32Array.from(identity);
  const moved = new Map<number, number>();
  // A `closed` mouth may still be a little apart: the jaw takes out what remains.
  const groups = state === 'teeth' ? [LIPS, JAW] : [JAW];
  for (const group of groups) {
    const amount = Math.min(
      solveCarrier(model, out, group),
      ...group.map((k) => limits[k] as number),
    );
    if (amount <= 0) continue;
    for (const k of group) {
      moved.set(k, amount);
      const o = k * FACE_VERTEX_COUNT * 3;
      for (let d = 0; d < FACE_VERTEX_COUNT * 3; d++)
        out[d] = (out[d] as number) - amount * (model.basis[o + d] as number);
    }
  }
  return { identity: out, moved };
}

/**
 * Least-squares amount `a` of the carrier group (all its shapes at `a`) whose removal brings
 * the shape's inner-lip gaps (lipsUpperInner vs lipsLowerInner, model y) to the neutral's.
 */
function solveCarrier(model: FaceModel, shape: Float32Array, group: readonly number[]): number {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  let num = 0;
  let den = 0;
  // Skip the shared corners (first and last).
  for (let i = 1; i + 1 < upper.length; i++) {
    const u = upper[i] as number;
    const l = lower[i] as number;
    const excess =
      (shape[l * 3 + 1] as number) -
      (shape[u * 3 + 1] as number) -
      ((model.neutral[l * 3 + 1] as number) - (model.neutral[u * 3 + 1] as number));
    let per = 0;
    for (const k of group) {
      const o = k * FACE_VERTEX_COUNT * 3;
      per += (model.basis[o + l * 3 + 1] as number) - (model.basis[o + u * 3 + 1] as number);
    }
    num += per * excess;
    den += per * per;
  }
  return den > 0 ? num / den : 0;
}

/** The landmarks {@link measureMouth} reads. */
const MOUTH_POINTS = [...LIP_GAP_PAIRS.flat(), ...EYE_CORNERS, ...INNER_CORNERS, ...OUTER_CORNERS];

/**
 * {@link measureMouth} of the posed mesh `identity + weights·basis` under `pose`, computed
 * on the few vertices it reads (a sparse 468 × 3 array; the rest stay 0).
 */
export function meshMouth(
  model: FaceModel,
  identity: ArrayLike<number>,
  weights: ArrayLike<number>,
  pose: FacePose,
): MouthMeasure {
  const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
  const points = new Float64Array(FACE_VERTEX_COUNT * 3);
  const n = FACE_VERTEX_COUNT * 3;
  for (const i of MOUTH_POINTS) {
    const v = [0, 1, 2].map((a) => {
      let value = identity[i * 3 + a] as number;
      for (let k = 0; k < weights.length; k++) {
        const w = weights[k] as number;
        if (w !== 0) value += w * (model.basis[k * n + i * 3 + a] as number);
      }
      return value;
    });
    const [x, y, z] = v as [number, number, number];
    points[i * 3] =
      pose.pxPerCm * ((r[0] as number) * x + (r[1] as number) * y + (r[2] as number) * z) +
      pose.txPx;
    points[i * 3 + 1] =
      pose.pxPerCm * ((r[3] as number) * x + (r[4] as number) * y + (r[5] as number) * z) +
      pose.tyPx;
  }
  return measureMouth(points);
}
