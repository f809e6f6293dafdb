import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT, type BlendshapeName } from '../controls/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from '../face/index.ts';

/**
 * Inner-lip gap (cm) of a closed mouth on the dubbed face. The model's neutral keeps 1 mm so
 * a photo's lips never overlap; here closed lips should meet: whatever stays between them is
 * the squashed interior of the source mouth (teeth), which would show as a light line.
 */
export const CLOSED_GAP_CM = 0.02;
/** A rest mouth opener than closed by more than this (cm) is closed. */
const CLOSING_SLACK_CM = 0.02;
/** Ridge on the closing weights (prefers the least change that closes). */
const CLOSING_RIDGE = 0.01;

/**
 * Groups of shapes that close the lips, each with one weight and the sign that closes (left
 * and right tied, so the correction stays symmetric): the jaw up, the lips sealed, the lower
 * lip up, the upper lip down.
 */
const CLOSING_GROUPS: readonly { names: readonly BlendshapeName[]; sign: 1 | -1 }[] = [
  { names: ['jawOpen'], sign: -1 },
  { names: ['mouthClose'], sign: 1 },
  { names: ['mouthLowerDownLeft', 'mouthLowerDownRight'], sign: -1 },
  { names: ['mouthUpperUpLeft', 'mouthUpperUpRight'], sign: -1 },
];

/** The inner-lip pairs (upper, lower vertex), corners excluded. */
export function innerLipPairs(model: FaceModel): [number, number][] {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  const pairs: [number, number][] = [];
  for (let p = 1; p + 1 < upper.length; p++) pairs.push([upper[p] as number, lower[p] as number]);
  return pairs;
}

/** Vertical gap (model frame, y down) of an inner-lip pair in a 468 × 3 shape at `offset`. */
function gapOf(shape: ArrayLike<number>, offset: number, [u, l]: [number, number]): number {
  return (shape[offset + l * 3 + 1] as number) - (shape[offset + u * 3 + 1] as number);
}

/**
 * The weights (52; jaw, seal, lower and upper lip, left and right tied) that close a
 * neutral's lips to {@link CLOSED_GAP_CM}. The tracker calibrates the neutral on the clip's
 * most closed-mouth frames; on continuous speech, and with a detector whose closed lips keep
 * a gap, that neutral's mouth is ajar and a new mouth built on it could never close. Least
 * squares on the inner-lip gaps; all zero for a neutral that is closed already.
 */
export function closingWeights(model: FaceModel, identity: Float32Array): Float32Array {
  const weights = new Float32Array(BLENDSHAPE_COUNT);
  const pairs = innerLipPairs(model);
  const excess = pairs.map((p) => gapOf(identity, 0, p) - CLOSED_GAP_CM);
  const mean = excess.reduce((s, e) => s + e, 0) / excess.length;
  if (mean <= CLOSING_SLACK_CM) return weights;
  const n3 = FACE_VERTEX_COUNT * 3;
  const k = CLOSING_GROUPS.length;
  // Gap change per unit of each group, in its closing direction (negative: it closes).
  const g = pairs.map((p) =>
    CLOSING_GROUPS.map(
      (group) =>
        group.sign *
        group.names.reduce(
          (s, name) => s + gapOf(model.basis, ARKIT_BLENDSHAPES.indexOf(name) * n3, p),
          0,
        ),
    ),
  );
  // Non-negative least squares (each group only closes, at most 1), by coordinate descent:
  // min Σ_p (excess_p + Σ_a g_pa x_a)² + ridge · |x|².
  const x = new Float64Array(k);
  for (let sweep = 0; sweep < 200; sweep++) {
    let moved = 0;
    for (let a = 0; a < k; a++) {
      let num = 0;
      let den = CLOSING_RIDGE;
      for (let p = 0; p < g.length; p++) {
        const row = g[p] as number[];
        let rest = excess[p] as number;
        for (let b = 0; b < k; b++) if (b !== a) rest += (row[b] as number) * (x[b] as number);
        num -= (row[a] as number) * rest;
        den += (row[a] as number) ** 2;
      }
      const next = Math.min(1, Math.max(0, num / den));
      moved = Math.max(moved, Math.abs(next - (x[a] as number)));
      x[a] = next;
    }
    if (moved < 1e-6) break;
  }
  CLOSING_GROUPS.forEach((group, a) => {
    for (const name of group.names) {
      weights[ARKIT_BLENDSHAPES.indexOf(name)] = group.sign * (x[a] as number);
    }
  });
  return weights;
}

/**
 * Shapes that may absorb what the tracked weights leave unexplained of the source mouth:
 * the articulation shapes a 2-D mouth contour shows (depth-only shapes are left out).
 */
const RESIDUAL_SHAPES: readonly BlendshapeName[] = [
  'jawOpen',
  'jawLeft',
  'jawRight',
  'mouthClose',
  'mouthFunnel',
  'mouthPucker',
  'mouthLeft',
  'mouthRight',
  'mouthRollLower',
  'mouthRollUpper',
  'mouthPressLeft',
  'mouthPressRight',
  'mouthLowerDownLeft',
  'mouthLowerDownRight',
  'mouthUpperUpLeft',
  'mouthUpperUpRight',
  'mouthStretchLeft',
  'mouthStretchRight',
];
/** Ridge on the residual weights (cm² per unit²). */
const RESIDUAL_RIDGE = 0.02;

/**
 * The articulation weights that explain a frame's fit residual on the lower face (lips
 * weighted fully, chin and jaw less): the tracker's weights are regularised, so on a talking
 * clip they under-explain the mouth. Adding them to the fitted weights gives the mouth the
 * frame really shows, in weight space, so that moving to the new weights replaces it. A
 * linear least-squares solve with its normal matrix factored once.
 */
export class ResidualFit {
  readonly #model: FaceModel;
  readonly #shapes: Int32Array;
  readonly #rows: Int32Array;
  readonly #rowWeight: Float64Array;
  readonly #chol: Float64Array;
  readonly #rhs: Float64Array;

  constructor(model: FaceModel, lowerFace: Float32Array) {
    this.#model = model;
    this.#shapes = Int32Array.from(RESIDUAL_SHAPES, (n) => ARKIT_BLENDSHAPES.indexOf(n));
    const lips = new Set(model.sets.lips);
    const rows: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      if ((lowerFace[i] as number) < 0.99) continue;
      rows.push(i);
      weights.push(lips.has(i) ? 1 : 0.3);
    }
    this.#rows = Int32Array.from(rows);
    this.#rowWeight = Float64Array.from(weights);
    const k = this.#shapes.length;
    const ata = new Float64Array(k * k);
    const basis = model.basis;
    const n3 = FACE_VERTEX_COUNT * 3;
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) {
        let sum = 0;
        const oa = (this.#shapes[a] as number) * n3;
        const ob = (this.#shapes[b] as number) * n3;
        for (let r = 0; r < rows.length; r++) {
          const v = (rows[r] as number) * 3;
          const w = weights[r] as number;
          for (let c = 0; c < 3; c++) {
            sum += w * (basis[oa + v + c] as number) * (basis[ob + v + c] as number);
          }
        }
        ata[a * k + b] = sum;
        ata[b * k + a] = sum;
      }
      ata[a * k + a] = (ata[a * k + a] as number) + RESIDUAL_RIDGE;
    }
    this.#chol = cholesky(ata, k);
    this.#rhs = new Float64Array(k);
  }

  /** Adds to `out` (52) the weights explaining `exact − calibrated` (468 × 3 cm each). */
  addTo(exact: Float32Array, calibrated: Float32Array, out: Float32Array): void {
    const basis = this.#model.basis;
    const n3 = FACE_VERTEX_COUNT * 3;
    const k = this.#shapes.length;
    const rhs = this.#rhs;
    for (let a = 0; a < k; a++) {
      const oa = (this.#shapes[a] as number) * n3;
      let sum = 0;
      for (let r = 0; r < this.#rows.length; r++) {
        const v = (this.#rows[r] as number) * 3;
        const w = this.#rowWeight[r] as number;
        for (let c = 0; c < 3; c++) {
          sum +=
            w *
            (basis[oa + v + c] as number) *
            ((exact[v + c] as number) - (calibrated[v + c] as number));
        }
      }
      rhs[a] = sum;
    }
    choleskyBack(this.#chol, k, rhs);
    for (let a = 0; a < k; a++) {
      const s = this.#shapes[a] as number;
      out[s] = (out[s] as number) + (rhs[a] as number);
    }
  }
}

/** Lower-triangular Cholesky factor (row-major k × k). */
function cholesky(m: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * k + j] as number;
      for (let p = 0; p < j; p++) sum -= (l[i * k + p] as number) * (l[j * k + p] as number);
      l[i * k + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[j * k + j] as number);
    }
  }
  return l;
}

/** Solves (L Lᵀ) x = b in place. */
function choleskyBack(l: Float64Array, k: number, b: Float64Array): void {
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
