import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT, type BlendshapeName } from '../controls/index.ts';
import { deformVertices, FACE_VERTEX_COUNT, type FaceModel } from '../face/index.ts';

/**
 * Inner-lip gap (cm) of a closed mouth on the dubbed face. The model's neutral keeps 1 mm so
 * a photo's lips never overlap; here closed lips should meet: whatever stays between them is
 * the squashed interior of the source mouth (teeth), which would show as a light line.
 */
export const CLOSED_GAP_CM = 0.02;
/** A rest mouth opener than closed by more than this (cm) is closed. */
const CLOSING_SLACK_CM = 0.02;
/** Ridge on the closing weights. */
const CLOSING_RIDGE = 1e-3;

/**
 * Groups of shapes that close the lips, each group with one weight (left and right tied, so
 * the correction stays symmetric): the jaw, the lip seal, the lower lip, the upper lip.
 */
const CLOSING_GROUPS: readonly (readonly BlendshapeName[])[] = [
  ['jawOpen'],
  ['mouthClose'],
  ['mouthLowerDownLeft', 'mouthLowerDownRight'],
  ['mouthUpperUpLeft', 'mouthUpperUpRight'],
];

/**
 * The person's neutral with the lips closed. The tracker calibrates the neutral on the
 * clip's most closed-mouth frames; on continuous speech, and with a detector whose closed
 * lips keep a gap, that neutral's mouth is ajar, and the new mouth — the model's mouth on
 * this neutral — could never close. The lips are closed with the model's own closing shapes
 * (least squares on the inner-lip gaps; jaw, seal, lower and upper lip, left and right tied),
 * then what remains of each gap is taken off the inner-lip contour itself, half from each lip.
 * A neutral already closed is returned as it is.
 */
export function closedNeutral(model: FaceModel, identity: Float32Array): Float32Array {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  const pairs: [number, number][] = [];
  for (let p = 1; p + 1 < upper.length; p++) pairs.push([upper[p] as number, lower[p] as number]);
  const gapOf = (shape: ArrayLike<number>, offset: number, [u, l]: [number, number]) =>
    (shape[offset + l * 3 + 1] as number) - (shape[offset + u * 3 + 1] as number);
  const excess = pairs.map((p) => gapOf(identity, 0, p) - CLOSED_GAP_CM);
  const mean = excess.reduce((s, e) => s + e, 0) / excess.length;
  if (mean <= CLOSING_SLACK_CM) return identity;

  const n3 = FACE_VERTEX_COUNT * 3;
  const k = CLOSING_GROUPS.length;
  const g = pairs.map((p) =>
    CLOSING_GROUPS.map((group) =>
      group.reduce((s, name) => s + gapOf(model.basis, ARKIT_BLENDSHAPES.indexOf(name) * n3, p), 0),
    ),
  );
  const ata = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let sum = a === b ? CLOSING_RIDGE : 0;
      for (const row of g) sum += (row[a] as number) * (row[b] as number);
      ata[a * k + b] = sum;
    }
    for (let p = 0; p < g.length; p++)
      rhs[a] = (rhs[a] as number) - (g[p]?.[a] as number) * (excess[p] as number);
  }
  solveSymmetric(ata, k, rhs);
  const weights = new Float32Array(BLENDSHAPE_COUNT);
  CLOSING_GROUPS.forEach((group, a) => {
    for (const name of group) weights[ARKIT_BLENDSHAPES.indexOf(name)] = rhs[a] as number;
  });
  const closed = deformVertices(model, identity, weights);
  for (const pair of pairs) {
    const rest = gapOf(closed, 0, pair) - CLOSED_GAP_CM;
    const [u, l] = pair;
    closed[u * 3 + 1] = (closed[u * 3 + 1] as number) + rest / 2;
    closed[l * 3 + 1] = (closed[l * 3 + 1] as number) - rest / 2;
  }
  return closed;
}

/**
 * Per-vertex share of the new mouth that comes from the model rather than from the tracked
 * landmarks: 1 on and near the inner lip contour (where the mouth must close or open exactly
 * as the model says), falling to 0 by 1.5 cm away (the jaw line and cheeks keep their tracked
 * shape, moved by the model's displacement).
 */
export function modelMouthShare(model: FaceModel): Float32Array {
  const inner = model.sets.lipsInner;
  const out = new Float32Array(FACE_VERTEX_COUNT);
  const v = model.neutral;
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < inner.length; k++) {
      const j = inner[k] as number;
      const d = Math.hypot(
        (v[i * 3] as number) - (v[j * 3] as number),
        (v[i * 3 + 1] as number) - (v[j * 3 + 1] as number),
        (v[i * 3 + 2] as number) - (v[j * 3 + 2] as number),
      );
      if (d < best) best = d;
    }
    const t = Math.min(1, Math.max(0, (1.5 - best) / (1.5 - 0.3)));
    out[i] = t * t * (3 - 2 * t);
  }
  return out;
}

/** Solves a small symmetric positive-definite system in place (Cholesky). */
function solveSymmetric(m: Float64Array, k: number, b: Float64Array): void {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * k + j] as number;
      for (let p = 0; p < j; p++) sum -= (l[i * k + p] as number) * (l[j * k + p] as number);
      l[i * k + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[j * k + j] as number);
    }
  }
  for (let i = 0; i < k; i++) {
    let sum = b[i] as number;
    for (let p = 0; p < i; p++) sum -= (l[i * k + p] as number) * (b[p] as number);
    b[i] = sum / (l[i * k + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let sum = b[i] as number;
    for (let p = i + 1; p < k; p++) sum -= (l[p * k + i] as number) * (b[p] as number);
    b[i] = sum / (l[i * k + i] as number);
  }
}
