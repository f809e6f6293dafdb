import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import { BoxQp } from './box-qp.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from './model.ts';
import { anglesFromRotation, deformVertices, type FacePose, rotationMatrix } from './pose.ts';

/** Options for one fit. Defaults in {@link FIT_DEFAULTS}. */
export interface FitOptions {
  /** Neutral shape of this face (468 × 3, cm). Default: the model's neutral. */
  identity?: ArrayLike<number>;
  /**
   * Also fit the face's shape: identity coefficients over the model's identity basis
   * (standard-normal prior), added to `identity`. Default false.
   */
  fitIdentity?: boolean;
  /** Prior weight of the identity coefficients, cm² per unit². Default 0.01. */
  identityPrior?: number;
  /** Start from this pose (e.g. the previous video frame) instead of the closed-form guess. */
  initialPose?: FacePose;
  /** Start the weights from these (ARKit order), e.g. the previous frame's. Default all 0. */
  initialWeights?: ArrayLike<number>;
  /** Weights held at a given value instead of fitted (index in ARKit order → value in [0, 1]). */
  fixedWeights?: ReadonlyMap<number, number>;
  /** Ridge penalty on the weights, in cm² per unit weight². Default 0.004. */
  regularization?: number;
  /** Most Gauss–Newton steps (it stops earlier once a step is below 1e-6). Default 12. */
  iterations?: number;
}

export const FIT_DEFAULTS = Object.freeze({
  regularization: 0.004,
  iterations: 12,
  fitIdentity: false,
  identityPrior: 0.01,
});

/** Result of fitting the model to 468 (or 478) landmarks. */
export interface FaceFit {
  pose: FacePose;
  /** 52 weights in [0, 1], ARKIT_BLENDSHAPES order. */
  weights: Float32Array;
  /** The neutral shape used: `identity` option (or the model's neutral) + identity basis · coefficients. */
  identity: Float32Array;
  /** Identity coefficients (all 0 unless `fitIdentity`). */
  identityCoefficients: Float32Array;
  /** 2-D distance between the fitted mesh and the landmarks, image pixels (fit-weighted vertices). */
  residual: { meanPx: number; rmsPx: number; maxPx: number };
}

const N = FACE_VERTEX_COUNT;
const K = BLENDSHAPE_COUNT;

/**
 * Fits head pose (weak perspective) and the 52 ARKit weights (bounded to [0, 1]) to face
 * landmarks: a closed-form affine start, then damped Gauss–Newton on pose and weights
 * together, each step a box-constrained QP (active set, exact) so the weights stay in
 * [0, 1]. It minimises the fit-weighted 2-D re-projection error of {@link poseVertices}
 * plus a small ridge on the weights. One instance holds the preallocated buffers for one model;
 * reuse it across video frames.
 *
 * @example
 * const fitter = new FaceFitter(await loadFaceModel());
 * const { pose, weights } = fitter.fit(landmarks); // landmarks: x, y, z per point, px
 */
export class FaceFitter {
  readonly model: FaceModel;
  /** Per vertex, the shapes whose delta there is non-zero. */
  readonly #vertexShapes: Uint8Array[];
  readonly #shape = new Float32Array(N * 3);
  /** Unknowns of the joint solve: 6 pose parameters, the 52 weights, the identity coefficients. */
  readonly #p: number;
  readonly #j: number;
  readonly #h: Float64Array;
  readonly #gradient: Float64Array;
  readonly #delta: Float64Array;
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #stepFixed: Uint8Array;
  readonly #jx: Float64Array;
  readonly #jy: Float64Array;
  readonly #cols: Int32Array;
  readonly #qp: BoxQp;
  readonly #fixedMask = new Uint8Array(K);
  readonly #base = new Float32Array(N * 3);

  constructor(model: FaceModel) {
    this.model = model;
    this.#j = model.identityCount;
    const p = 6 + K + this.#j;
    this.#p = p;
    this.#h = new Float64Array(p * p);
    this.#gradient = new Float64Array(p);
    this.#delta = new Float64Array(p);
    this.#lo = new Float64Array(p);
    this.#hi = new Float64Array(p);
    this.#stepFixed = new Uint8Array(p);
    this.#jx = new Float64Array(p);
    this.#jy = new Float64Array(p);
    this.#cols = new Int32Array(p);
    this.#qp = new BoxQp(p);
    this.#vertexShapes = [];
    for (let i = 0; i < N; i++) {
      const list: number[] = [];
      for (let k = 0; k < K; k++) {
        const o = (k * N + i) * 3;
        const b = model.basis;
        if ((b[o] as number) !== 0 || (b[o + 1] as number) !== 0 || (b[o + 2] as number) !== 0)
          list.push(k);
      }
      this.#vertexShapes.push(Uint8Array.from(list));
    }
  }

  /** Fits pose and weights to `landmarks` (≥ 468 points × 3 values, image px; z is ignored). */
  fit(landmarks: ArrayLike<number>, options: FitOptions = {}): FaceFit {
    if (landmarks.length < N * 3) throw new RangeError(`need ${N} landmarks × 3 values`);
    const base = options.identity ?? this.model.neutral;
    const regularization = options.regularization ?? FIT_DEFAULTS.regularization;
    const iterations = options.iterations ?? FIT_DEFAULTS.iterations;
    const fitIdentity = (options.fitIdentity ?? FIT_DEFAULTS.fitIdentity) && this.#j > 0;
    const identityPrior = options.identityPrior ?? FIT_DEFAULTS.identityPrior;
    const alpha = new Float64Array(this.#j);
    const identity = this.#base;
    for (let d = 0; d < N * 3; d++) identity[d] = base[d] as number;
    const weights = new Float64Array(K);
    if (options.initialWeights)
      for (let k = 0; k < K; k++) weights[k] = options.initialWeights[k] ?? 0;
    for (const [k, v] of options.fixedWeights ?? []) weights[k] = v;
    const pose = options.initialPose
      ? {
          r: rotationMatrix(
            options.initialPose.pitch,
            options.initialPose.yaw,
            options.initialPose.roll,
          ),
          s: options.initialPose.pxPerCm,
          tx: options.initialPose.txPx,
          ty: options.initialPose.tyPx,
        }
      : this.#affineInit(landmarks, identity);
    const fixedMask = this.#fixedMask;
    fixedMask.fill(0);
    for (const k of options.fixedWeights?.keys() ?? []) fixedMask[k] = 1;
    const solve = { regularization, fitIdentity, identityPrior, alpha, base };
    for (let it = 0; it < iterations; it++) {
      const step = this.#step(landmarks, identity, pose, weights, solve);
      if (step < 1e-6) break;
    }
    deformVertices(this.model, identity, weights, this.#shape);
    const residual = this.#residual(landmarks, pose);
    return {
      pose: { ...anglesFromRotation(pose.r), pxPerCm: pose.s, txPx: pose.tx, tyPx: pose.ty },
      weights: Float32Array.from(weights),
      identity: Float32Array.from(identity),
      identityCoefficients: Float32Array.from(alpha),
      residual,
    };
  }

  /**
   * Closed-form start: the least-squares affine camera (2 × 4) from the shape to the
   * landmarks, made the nearest scaled rotation via (A·Aᵀ)^(-1/2)·A.
   */
  #affineInit(q: ArrayLike<number>, identity: ArrayLike<number>): PoseState {
    const c = this.model.fitWeights;
    const ata = new Float64Array(16);
    const atx = new Float64Array(4);
    const aty = new Float64Array(4);
    for (let i = 0; i < N; i++) {
      const w = c[i] as number;
      const v = [
        identity[i * 3] as number,
        identity[i * 3 + 1] as number,
        identity[i * 3 + 2] as number,
        1,
      ];
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++)
          ata[a * 4 + b] = (ata[a * 4 + b] as number) + w * (v[a] as number) * (v[b] as number);
        atx[a] = (atx[a] as number) + w * (v[a] as number) * (q[i * 3] as number);
        aty[a] = (aty[a] as number) + w * (v[a] as number) * (q[i * 3 + 1] as number);
      }
    }
    const rowX = solveSymmetric(ata, atx, 4);
    const rowY = solveSymmetric(Float64Array.from(ata), aty, 4);
    // A = [rowX[0..2]; rowY[0..2]]; (A Aᵀ)^(-1/2) A has orthonormal rows.
    const a1 = [rowX[0], rowX[1], rowX[2]] as number[];
    const a2 = [rowY[0], rowY[1], rowY[2]] as number[];
    const p = dot(a1, a1);
    const qq = dot(a1, a2);
    const r = dot(a2, a2);
    // inverse square root of [[p, qq], [qq, r]]
    const tr = p + r;
    const det = Math.max(1e-12, p * r - qq * qq);
    const sdet = Math.sqrt(det);
    const t = Math.sqrt(tr + 2 * sdet);
    // sqrt(M) = (M + sdet I) / t ; inverse of that
    const s00 = (p + sdet) / t;
    const s01 = qq / t;
    const s11 = (r + sdet) / t;
    const sd = s00 * s11 - s01 * s01;
    const i00 = s11 / sd;
    const i01 = -s01 / sd;
    const i11 = s00 / sd;
    const r1 = a1.map((v, k) => i00 * v + i01 * (a2[k] as number));
    const r2 = a1.map((v, k) => i01 * v + i11 * (a2[k] as number));
    const r3 = [
      (r1[1] as number) * (r2[2] as number) - (r1[2] as number) * (r2[1] as number),
      (r1[2] as number) * (r2[0] as number) - (r1[0] as number) * (r2[2] as number),
      (r1[0] as number) * (r2[1] as number) - (r1[1] as number) * (r2[0] as number),
    ];
    const rot = Float64Array.from([...r1, ...r2, ...r3]);
    orthonormalize(rot);
    return { r: rot, s: sdet ** 0.5, tx: rowX[3] as number, ty: rowY[3] as number };
  }

  /**
   * One damped Gauss–Newton step on pose, weights (and identity coefficients) together: the
   * normal equations of the linearised 2-D residual (6 pose unknowns — rotation increment in
   * the camera frame, scale, translation — the 52 weights, the identity coefficients),
   * solved as a box-constrained QP so every weight stays in [0, 1]. Updates `identity` in
   * place when fitting it. Returns the size of the step (max |Δweight| + |Δrotation|).
   */
  #step(
    q: ArrayLike<number>,
    identity: Float32Array,
    pose: PoseState,
    weights: Float64Array,
    solve: {
      regularization: number;
      fitIdentity: boolean;
      identityPrior: number;
      alpha: Float64Array;
      base: ArrayLike<number>;
    },
  ): number {
    const P = this.#p;
    const J = solve.fitIdentity ? this.#j : 0;
    const idBasis = this.model.identityBasis;
    const basis = this.model.basis;
    const c = this.model.fitWeights;
    const shape = deformVertices(this.model, identity, weights, this.#shape);
    const r = pose.r;
    const s = pose.s;
    const h = this.#h;
    const g = this.#gradient;
    const jx = this.#jx;
    const jy = this.#jy;
    const cols = this.#cols;
    h.fill(0);
    g.fill(0);
    for (let i = 0; i < N; i++) {
      const w = c[i] as number;
      if (w === 0) continue;
      const x = shape[i * 3] as number;
      const y = shape[i * 3 + 1] as number;
      const z = shape[i * 3 + 2] as number;
      const y0 = (r[0] as number) * x + (r[1] as number) * y + (r[2] as number) * z;
      const y1 = (r[3] as number) * x + (r[4] as number) * y + (r[5] as number) * z;
      const y2 = (r[6] as number) * x + (r[7] as number) * y + (r[8] as number) * z;
      const ex = (q[i * 3] as number) - (s * y0 + pose.tx);
      const ey = (q[i * 3 + 1] as number) - (s * y1 + pose.ty);
      // Pose columns: rotation increment ω (R ← exp([ω]×)·R), scale, translation.
      jx[0] = 0;
      jx[1] = s * y2;
      jx[2] = -s * y1;
      jx[3] = y0;
      jx[4] = 1;
      jx[5] = 0;
      jy[0] = -s * y2;
      jy[1] = 0;
      jy[2] = s * y0;
      jy[3] = y1;
      jy[4] = 0;
      jy[5] = 1;
      for (let a = 0; a < 6; a++) cols[a] = a;
      let count = 6;
      const shapes = this.#vertexShapes[i] as Uint8Array;
      for (let a = 0; a < shapes.length; a++) {
        const k = shapes[a] as number;
        const o = (k * N + i) * 3;
        const dx = basis[o] as number;
        const dy = basis[o + 1] as number;
        const dz = basis[o + 2] as number;
        jx[count] = s * ((r[0] as number) * dx + (r[1] as number) * dy + (r[2] as number) * dz);
        jy[count] = s * ((r[3] as number) * dx + (r[4] as number) * dy + (r[5] as number) * dz);
        cols[count] = 6 + k;
        count++;
      }
      for (let j = 0; j < J; j++) {
        const o = (j * N + i) * 3;
        const dx = idBasis[o] as number;
        const dy = idBasis[o + 1] as number;
        const dz = idBasis[o + 2] as number;
        jx[count] = s * ((r[0] as number) * dx + (r[1] as number) * dy + (r[2] as number) * dz);
        jy[count] = s * ((r[3] as number) * dx + (r[4] as number) * dy + (r[5] as number) * dz);
        cols[count] = 6 + K + j;
        count++;
      }
      for (let a = 0; a < count; a++) {
        const ca = cols[a] as number;
        const ax = (jx[a] as number) * w;
        const ay = (jy[a] as number) * w;
        g[ca] = (g[ca] as number) + ax * ex + ay * ey;
        const row = ca * P;
        for (let b = 0; b < count; b++) {
          const cb = cols[b] as number;
          h[row + cb] = (h[row + cb] as number) + ax * (jx[b] as number) + ay * (jy[b] as number);
        }
      }
    }
    // Ridge on the weights (in px², so the penalty is regularization cm² whatever the scale),
    // Levenberg damping on everything.
    const ridge = solve.regularization * s * s;
    for (let k = 0; k < K; k++) {
      const d = (6 + k) * (P + 1);
      h[d] = (h[d] as number) + ridge;
      g[6 + k] = (g[6 + k] as number) - ridge * (weights[k] as number);
    }
    const prior = solve.identityPrior * s * s;
    for (let j = 0; j < this.#j; j++) {
      const d = (6 + K + j) * (P + 1);
      h[d] = (h[d] as number) + prior;
      g[6 + K + j] = (g[6 + K + j] as number) - prior * (solve.alpha[j] as number);
    }
    for (let a = 0; a < P; a++) h[a * (P + 1)] = (h[a * (P + 1)] as number) * 1.0001 + 1e-9;
    const delta = this.#delta;
    const lo = this.#lo;
    const hi = this.#hi;
    const fixed = this.#stepFixed;
    delta.fill(0);
    for (let a = 0; a < 6; a++) {
      lo[a] = Number.NEGATIVE_INFINITY;
      hi[a] = Number.POSITIVE_INFINITY;
      fixed[a] = 0;
    }
    for (let k = 0; k < K; k++) {
      lo[6 + k] = -(weights[k] as number);
      hi[6 + k] = 1 - (weights[k] as number);
      fixed[6 + k] = this.#fixedMask[k] as number;
    }
    for (let j = 0; j < this.#j; j++) {
      lo[6 + K + j] = Number.NEGATIVE_INFINITY;
      hi[6 + K + j] = Number.POSITIVE_INFINITY;
      fixed[6 + K + j] = solve.fitIdentity ? 0 : 1;
    }
    this.#qp.solve(h, g, delta, lo, hi, fixed);
    applyRotation(pose.r, delta[0] as number, delta[1] as number, delta[2] as number);
    pose.s += delta[3] as number;
    pose.tx += delta[4] as number;
    pose.ty += delta[5] as number;
    let size =
      Math.abs(delta[0] as number) + Math.abs(delta[1] as number) + Math.abs(delta[2] as number);
    for (let k = 0; k < K; k++) {
      const v = Math.min(1, Math.max(0, (weights[k] as number) + (delta[6 + k] as number)));
      size = Math.max(size, Math.abs(v - (weights[k] as number)));
      weights[k] = v;
    }
    if (solve.fitIdentity) {
      for (let j = 0; j < this.#j; j++) {
        const d = delta[6 + K + j] as number;
        solve.alpha[j] = (solve.alpha[j] as number) + d;
        size = Math.max(size, Math.abs(d) * 0.1);
      }
      for (let d = 0; d < N * 3; d++) {
        let v = solve.base[d] as number;
        for (let j = 0; j < this.#j; j++)
          v += (solve.alpha[j] as number) * (idBasis[j * N * 3 + d] as number);
        identity[d] = v;
      }
    }
    return size;
  }

  #residual(q: ArrayLike<number>, pose: PoseState): FaceFit['residual'] {
    const shape = this.#shape;
    const c = this.model.fitWeights;
    const r = pose.r;
    let sum = 0;
    let sumSq = 0;
    let max = 0;
    let count = 0;
    for (let i = 0; i < N; i++) {
      const x = shape[i * 3] as number;
      const y = shape[i * 3 + 1] as number;
      const z = shape[i * 3 + 2] as number;
      const px =
        pose.s * ((r[0] as number) * x + (r[1] as number) * y + (r[2] as number) * z) + pose.tx;
      const py =
        pose.s * ((r[3] as number) * x + (r[4] as number) * y + (r[5] as number) * z) + pose.ty;
      if ((c[i] as number) === 0) continue;
      const d = Math.hypot((q[i * 3] as number) - px, (q[i * 3 + 1] as number) - py);
      sum += d;
      sumSq += d * d;
      max = Math.max(max, d);
      count++;
    }
    return { meanPx: sum / count, rmsPx: Math.sqrt(sumSq / count), maxPx: max };
  }
}

/**
 * One-shot convenience over {@link FaceFitter} (allocates a fitter; reuse a FaceFitter for
 * many frames).
 */
export function fitFace(
  model: FaceModel,
  landmarks: ArrayLike<number>,
  options?: FitOptions,
): FaceFit {
  return new FaceFitter(model).fit(landmarks, options);
}

interface PoseState {
  /** Row-major rotation. */
  r: Float64Array;
  s: number;
  tx: number;
  ty: number;
}

function dot(a: number[], b: number[]): number {
  return (
    (a[0] as number) * (b[0] as number) +
    (a[1] as number) * (b[1] as number) +
    (a[2] as number) * (b[2] as number)
  );
}

/** R ← exp([ω]×) · R (small rotation in the camera frame), then re-orthonormalised. */
function applyRotation(r: Float64Array, wx: number, wy: number, wz: number): void {
  const angle = Math.hypot(wx, wy, wz);
  if (angle < 1e-12) return;
  const kx = wx / angle;
  const ky = wy / angle;
  const kz = wz / angle;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  const e = [
    t * kx * kx + c,
    t * kx * ky - s * kz,
    t * kx * kz + s * ky,
    t * kx * ky + s * kz,
    t * ky * ky + c,
    t * ky * kz - s * kx,
    t * kx * kz - s * ky,
    t * ky * kz + s * kx,
    t * kz * kz + c,
  ];
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let jj = 0; jj < 3; jj++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += (e[i * 3 + k] as number) * (r[k * 3 + jj] as number);
      out[i * 3 + jj] = sum;
    }
  }
  r.set(out);
  orthonormalize(r);
}

/** Gram–Schmidt on the rows of a 3 × 3 matrix; third row = first × second. */
function orthonormalize(r: Float64Array): void {
  let n = Math.hypot(r[0] as number, r[1] as number, r[2] as number);
  r[0] = (r[0] as number) / n;
  r[1] = (r[1] as number) / n;
  r[2] = (r[2] as number) / n;
  const d =
    (r[0] as number) * (r[3] as number) +
    (r[1] as number) * (r[4] as number) +
    (r[2] as number) * (r[5] as number);
  r[3] = (r[3] as number) - d * (r[0] as number);
  r[4] = (r[4] as number) - d * (r[1] as number);
  r[5] = (r[5] as number) - d * (r[2] as number);
  n = Math.hypot(r[3] as number, r[4] as number, r[5] as number);
  r[3] = (r[3] as number) / n;
  r[4] = (r[4] as number) / n;
  r[5] = (r[5] as number) / n;
  r[6] = (r[1] as number) * (r[5] as number) - (r[2] as number) * (r[4] as number);
  r[7] = (r[2] as number) * (r[3] as number) - (r[0] as number) * (r[5] as number);
  r[8] = (r[0] as number) * (r[4] as number) - (r[1] as number) * (r[3] as number);
}

/** Solves the symmetric positive (semi-)definite system A x = b (Gaussian elimination, pivoting). */
function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(m[row * n + col] as number) > Math.abs(m[pivot * n + col] as number))
        pivot = row;
    }
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const tmp = m[col * n + k] as number;
        m[col * n + k] = m[pivot * n + k] as number;
        m[pivot * n + k] = tmp;
      }
      const tmp = x[col] as number;
      x[col] = x[pivot] as number;
      x[pivot] = tmp;
    }
    const diag = m[col * n + col] as number;
    if (Math.abs(diag) < 1e-15) continue;
    for (let row = col + 1; row < n; row++) {
      const f = (m[row * n + col] as number) / diag;
      if (f === 0) continue;
      for (let k = col; k < n; k++)
        m[row * n + k] = (m[row * n + k] as number) - f * (m[col * n + k] as number);
      x[row] = (x[row] as number) - f * (x[col] as number);
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    let sum = x[row] as number;
    for (let k = row + 1; k < n; k++) sum -= (m[row * n + k] as number) * (x[k] as number);
    const diag = m[row * n + row] as number;
    x[row] = Math.abs(diag) < 1e-15 ? 0 : sum / diag;
  }
  return x;
}
