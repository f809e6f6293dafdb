import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT, type BlendshapeName } from '../controls/index.ts';
import { BoxQp } from './box-qp.ts';
import { affineInit, applyRotation, type PoseState } from './linalg.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from './model.ts';
import { NormalEquations } from './normal-equations.ts';
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
  /** Ridge penalty on the weights, cm² per unit weight², times {@link FIT_SHAPE_PRIOR}. Default 0.004. */
  regularization?: number;
  /** Most Gauss–Newton steps (it stops earlier once a step is below 1e-6). Default 12. */
  iterations?: number;
  /**
   * Weight of the 20 inner-lip landmarks relative to the rest of the face (×
   * `model.fitWeights`). Default 1.
   */
  mouthWeight?: number;
}

export const FIT_DEFAULTS = Object.freeze({
  regularization: 0.004,
  iterations: 12,
  fitIdentity: false,
  identityPrior: 0.01,
  mouthWeight: 1,
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

/**
 * Per-shape multiplier of the ridge penalty: a prior on which shapes 2-D landmarks of a
 * talking face can support. Shapes that move mostly in depth (jawForward, cheekPuff) or
 * that a 468-point surface cannot show (tongueOut: there is no tongue in the mesh) would
 * otherwise soak up detector noise and identity mismatch; they must explain much more to be
 * used. 1 for the rest.
 */
export const FIT_SHAPE_PRIOR: Readonly<Partial<Record<BlendshapeName, number>>> = Object.freeze({
  tongueOut: 1000,
  jawForward: 20,
  cheekPuff: 10,
  noseSneerLeft: 4,
  noseSneerRight: 4,
  cheekSquintLeft: 4,
  cheekSquintRight: 4,
  mouthShrugLower: 3,
  mouthShrugUpper: 3,
  mouthDimpleLeft: 3,
  mouthDimpleRight: 3,
  mouthRollLower: 2,
  mouthRollUpper: 2,
  mouthPressLeft: 2,
  mouthPressRight: 2,
  mouthFrownLeft: 2,
  mouthFrownRight: 2,
});
const PRIOR = Float64Array.from(ARKIT_BLENDSHAPES, (name) => FIT_SHAPE_PRIOR[name] ?? 1);

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
  readonly #equations: NormalEquations;
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
  /** Shape coefficients (weights, identity coefficients) and which of them are solved for. */
  readonly #theta: Float64Array;
  readonly #active: Uint8Array;
  readonly #qp: BoxQp;
  readonly #fixedMask = new Uint8Array(K);
  readonly #base = new Float32Array(N * 3);
  /** Per-vertex cost weights of the current fit: model.fitWeights, inner lips × mouthWeight. */
  readonly #c = new Float32Array(N);
  #cMouthWeight = Number.NaN;

  constructor(model: FaceModel) {
    this.model = model;
    this.#j = model.identityCount;
    const p = 6 + K + this.#j;
    this.#p = p;
    this.#equations = new NormalEquations(model);
    this.#h = new Float64Array(p * p);
    this.#gradient = new Float64Array(p);
    this.#delta = new Float64Array(p);
    this.#lo = new Float64Array(p);
    this.#hi = new Float64Array(p);
    this.#stepFixed = new Uint8Array(p);
    this.#theta = new Float64Array(K + this.#j);
    this.#active = new Uint8Array(K + this.#j);
    this.#qp = new BoxQp(p);
  }

  /** Fits pose and weights to `landmarks` (≥ 468 points × 3 values, image px; z is ignored). */
  fit(landmarks: ArrayLike<number>, options: FitOptions = {}): FaceFit {
    if (landmarks.length < N * 3) throw new RangeError(`need ${N} landmarks × 3 values`);
    const base = options.identity ?? this.model.neutral;
    const regularization = options.regularization ?? FIT_DEFAULTS.regularization;
    const iterations = options.iterations ?? FIT_DEFAULTS.iterations;
    const fitIdentity = (options.fitIdentity ?? FIT_DEFAULTS.fitIdentity) && this.#j > 0;
    const identityPrior = options.identityPrior ?? FIT_DEFAULTS.identityPrior;
    const mouthWeight = options.mouthWeight ?? FIT_DEFAULTS.mouthWeight;
    this.#vertexWeights(mouthWeight);
    const alpha = new Float64Array(this.#j);
    const identity = this.#base;
    for (let d = 0; d < N * 3; d++) identity[d] = base[d] as number;
    this.#equations.begin(this.#c, mouthWeight, identity, landmarks);
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
      : affineInit(landmarks, identity, this.#c);
    const fixedMask = this.#fixedMask;
    fixedMask.fill(0);
    for (const k of options.fixedWeights?.keys() ?? []) fixedMask[k] = 1;
    for (let k = 0; k < K; k++) this.#active[k] = fixedMask[k] === 1 ? 0 : 1;
    for (let j = 0; j < this.#j; j++) this.#active[K + j] = fitIdentity ? 1 : 0;
    const solve = { regularization, fitIdentity, identityPrior, alpha };
    for (let it = 0; it < iterations; it++) {
      const step = this.#step(pose, weights, solve);
      if (step < 1e-6) break;
    }
    if (fitIdentity) {
      const idBasis = this.model.identityBasis;
      for (let d = 0; d < N * 3; d++) {
        let v = base[d] as number;
        for (let j = 0; j < this.#j; j++)
          v += (alpha[j] as number) * (idBasis[j * N * 3 + d] as number);
        identity[d] = v;
      }
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

  #vertexWeights(mouthWeight: number): void {
    if (mouthWeight === this.#cMouthWeight) return;
    this.#c.set(this.model.fitWeights);
    for (const i of this.model.sets.lipsInner)
      this.#c[i] = (this.model.fitWeights[i] as number) * mouthWeight;
    this.#cMouthWeight = mouthWeight;
  }

  /**
   * One damped Gauss–Newton step on pose, weights (and identity coefficients) together: the
   * normal equations of the linearised 2-D residual (6 pose unknowns — rotation increment in
   * the camera frame, scale, translation — the 52 weights, the identity coefficients; formed
   * from moments by {@link NormalEquations}), solved as a box-constrained QP so every weight
   * stays in [0, 1]. Returns the size of the step (max |Δweight| + |Δrotation|).
   */
  #step(
    pose: PoseState,
    weights: Float64Array,
    solve: {
      regularization: number;
      fitIdentity: boolean;
      identityPrior: number;
      alpha: Float64Array;
    },
  ): number {
    const P = this.#p;
    const s = pose.s;
    const h = this.#h;
    const g = this.#gradient;
    const theta = this.#theta;
    theta.set(weights);
    theta.set(solve.alpha, K);
    this.#equations.assemble(theta, pose, this.#active, h, g);
    // Ridge on the weights (in px², so the penalty is regularization cm² whatever the scale),
    // Levenberg damping on everything.
    const ridge = solve.regularization * s * s;
    for (let k = 0; k < K; k++) {
      const d = (6 + k) * (P + 1);
      const rk = ridge * (PRIOR[k] as number);
      h[d] = (h[d] as number) + rk;
      g[6 + k] = (g[6 + k] as number) - rk * (weights[k] as number);
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
