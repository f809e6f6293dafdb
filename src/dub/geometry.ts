import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import {
  FACE_VERTEX_COUNT,
  type FaceModel,
  type FacePose,
  projectInPlace,
  rotationMatrix,
} from '../face/index.ts';
import { mergeWeights } from './merge.ts';
import { closingWeights, innerLipPairs, ResidualFit } from './mouth-fit.ts';

/**
 * Per-frame geometry of a dubbed frame, with buffers allocated once. The source mesh is the
 * frame's own landmarks (so the renderer samples exactly the pixels the detector saw). The
 * new mesh is the landmarks moved by the model's displacement from the mouth the frame shows
 * to the new mouth — smooth basis fields, so the person's own lip shape, corners and skin
 * detail travel along — with the shown mouth measured completely:
 *
 * - effective source weights = fitted + {@link ResidualFit} (what the regularised fit left
 *   in the residual) − {@link closingWeights} (a calibrated rest mouth that is ajar);
 * - target = landmarks + basis · strength · (new − effective) on the audio-driven shapes;
 * - whatever the basis cannot express of the source's lip gap is then taken off each
 *   inner-lip pair (half from each lip), so a closed new mouth is closed to 0.2 mm.
 *
 * Where the audio drives nothing (eyes, brows, smile) the displacement is zero.
 */
export class FrameGeometry {
  readonly #model: FaceModel;
  readonly #residual: ResidualFit;
  readonly #pairs: [number, number][];
  readonly #closing = new WeakMap<Float32Array, Float32Array>();
  readonly #posed = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #expression = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #effective = new Float32Array(BLENDSHAPE_COUNT);
  readonly #delta = new Float32Array(BLENDSHAPE_COUNT);
  /** The frame's exact neutral for the renderer's reference, 468 × 3 cm. */
  readonly identity = new Float32Array(FACE_VERTEX_COUNT * 3);
  /** The Controls weights of the new frame (what the mouth fill and blinks read). */
  readonly frameWeights = new Float32Array(BLENDSHAPE_COUNT);
  /** The new mesh, 468 × (x, y, depth) px. */
  readonly target = new Float32Array(FACE_VERTEX_COUNT * 3);
  /** The source mesh (= the landmarks), 468 × (x, y, depth) px. */
  readonly source = new Float32Array(FACE_VERTEX_COUNT * 3);

  constructor(model: FaceModel) {
    this.#model = model;
    this.#residual = new ResidualFit(model, lowerFaceWeights(model));
    this.#pairs = innerLipPairs(model);
  }

  /**
   * @param calibrated The shot's calibrated neutral (468 × 3 cm, the tracker's identity).
   * @param landmarks 468 × (x, y) px in the frame the pose is in.
   * @param sourceWeights The frame's fitted weights.
   * @param audioWeights The new mouth (only its audio-driven shapes are used).
   * @param strength 0 (keep the source mouth) … 1 (the new mouth).
   */
  update(
    calibrated: Float32Array,
    landmarks: ArrayLike<number>,
    sourceWeights: Float32Array,
    audioWeights: ArrayLike<number>,
    strength: number,
    pose: FacePose,
  ): void {
    const model = this.#model;
    // The neutral that puts the fitted mesh exactly on the landmarks (each landmark taken
    // back into the model frame, depth from the fit, the expression subtracted).
    deformBoth(model, calibrated, sourceWeights, this.#posed, this.#expression);
    const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
    const posed = this.#posed;
    const exact = this.identity;
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      const x = posed[i * 3] as number;
      const y = posed[i * 3 + 1] as number;
      const z = posed[i * 3 + 2] as number;
      const cx = ((landmarks[i * 2] as number) - pose.txPx) / pose.pxPerCm;
      const cy = ((landmarks[i * 2 + 1] as number) - pose.tyPx) / pose.pxPerCm;
      const cz = (r[6] as number) * x + (r[7] as number) * y + (r[8] as number) * z;
      for (let a = 0; a < 3; a++) {
        const unposed =
          (r[a] as number) * cx + (r[3 + a] as number) * cy + (r[6 + a] as number) * cz;
        exact[i * 3 + a] = unposed - (this.#expression[i * 3 + a] as number);
      }
    }

    // The mouth the frame shows, in weights on the closed neutral.
    const effective = this.#effective;
    effective.set(sourceWeights);
    this.#residual.addTo(exact, calibrated, effective);
    let closing = this.#closing.get(calibrated);
    if (!closing) {
      closing = closingWeights(model, calibrated);
      this.#closing.set(calibrated, closing);
    }
    for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
      effective[k] = (effective[k] as number) - (closing[k] as number);
    }
    // New mesh in the model frame: landmarks + basis · strength · (new − effective).
    mergeWeights(effective, audioWeights, strength, this.#delta);
    for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
      this.#delta[k] =
        (sourceWeights[k] as number) + (this.#delta[k] as number) - (effective[k] as number);
    }
    const target = this.target;
    // The source mesh (exact + basis · fitted, posed) and the new one, in one pass.
    deformTwice(model, exact, sourceWeights, this.source, this.#delta, target);
    projectInPlace(this.source, pose);
    // What the basis cannot express of each inner-lip gap: landmarks − (calibrated + fitted
    // + residual weights), taken off the pair in proportion to the strength.
    // explained = calibrated + basis · (effective + closing) = calibrated + basis · (fitted + residual).
    for (const [u, l] of this.#pairs) {
      // The landmarks in the model frame: exact + basis · fitted = posed − calibrated + exact.
      const shown =
        (posed[l * 3 + 1] as number) +
        (exact[l * 3 + 1] as number) -
        (calibrated[l * 3 + 1] as number) -
        ((posed[u * 3 + 1] as number) +
          (exact[u * 3 + 1] as number) -
          (calibrated[u * 3 + 1] as number));
      const explained =
        explainedAt(model, calibrated, effective, closing, l * 3 + 1) -
        explainedAt(model, calibrated, effective, closing, u * 3 + 1);
      const half = (strength * (shown - explained)) / 2;
      target[u * 3 + 1] = (target[u * 3 + 1] as number) + half;
      target[l * 3 + 1] = (target[l * 3 + 1] as number) - half;
    }
    projectInPlace(target, pose);
    mergeWeights(sourceWeights, audioWeights, strength, this.frameWeights);
  }
}

/*
 * The deformations below are face's `deformVertices` (out = identity, then out += w · basis
 * shape by shape, each sum rounded to float32, zero weights skipped) fused so that the basis
 * is read once for two meshes; each output is byte-identical to its own deformVertices call.
 */

/** `withBase` = base + basis · weights and `alone` = basis · weights, in one pass. */
function deformBoth(
  model: FaceModel,
  base: Float32Array,
  weights: ArrayLike<number>,
  withBase: Float32Array,
  alone: Float32Array,
): void {
  const n = FACE_VERTEX_COUNT * 3;
  withBase.set(base.subarray(0, n));
  alone.fill(0);
  const basis = model.basis;
  for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
    const w = weights[k] ?? 0;
    if (w === 0) continue;
    const offset = k * n;
    for (let i = 0; i < n; i++) {
      const d = w * (basis[offset + i] as number);
      withBase[i] = (withBase[i] as number) + d;
      alone[i] = (alone[i] as number) + d;
    }
  }
}

/** `outA` = base + basis · weightsA and `outB` = base + basis · weightsB, in one pass. */
function deformTwice(
  model: FaceModel,
  base: Float32Array,
  weightsA: ArrayLike<number>,
  outA: Float32Array,
  weightsB: ArrayLike<number>,
  outB: Float32Array,
): void {
  const n = FACE_VERTEX_COUNT * 3;
  outA.set(base.subarray(0, n));
  outB.set(base.subarray(0, n));
  const basis = model.basis;
  for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
    const a = weightsA[k] ?? 0;
    const b = weightsB[k] ?? 0;
    const offset = k * n;
    if (a !== 0 && b !== 0) {
      for (let i = 0; i < n; i++) {
        const v = basis[offset + i] as number;
        outA[i] = (outA[i] as number) + a * v;
        outB[i] = (outB[i] as number) + b * v;
      }
    } else if (a !== 0) {
      for (let i = 0; i < n; i++) outA[i] = (outA[i] as number) + a * (basis[offset + i] as number);
    } else if (b !== 0) {
      for (let i = 0; i < n; i++) outB[i] = (outB[i] as number) + b * (basis[offset + i] as number);
    }
  }
}

/**
 * Coordinate `j` of (base + basis · first) + basis · second, rounded as two deformVertices
 * calls round it: what the lip-gap correction reads of the explained mesh (a few
 * coordinates, not the whole mesh).
 */
function explainedAt(
  model: FaceModel,
  base: Float32Array,
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  j: number,
): number {
  const n = FACE_VERTEX_COUNT * 3;
  const basis = model.basis;
  let v = base[j] as number;
  for (const weights of [first, second]) {
    for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
      const w = weights[k] ?? 0;
      if (w !== 0) v = Math.fround(v + w * (basis[k * n + j] as number));
    }
  }
  return v;
}

/** Scales a pose from one image size to another (weak perspective scales linearly). */
export function scalePose(pose: FacePose, scale: number): FacePose {
  return {
    pitch: pose.pitch,
    yaw: pose.yaw,
    roll: pose.roll,
    pxPerCm: pose.pxPerCm * scale,
    txPx: pose.txPx * scale,
    tyPx: pose.tyPx * scale,
  };
}

/**
 * Per-vertex weight of the lower face, 0–1, from each vertex's height on the neutral model:
 * 0 from the eyes up, rising to 1 at the nostrils, 1 below (lips, cheeks, jaw, chin). The
 * blend mask is this weight drawn over the mesh.
 */
export function lowerFaceWeights(model: FaceModel): Float32Array {
  const meanY = (set: ArrayLike<number>) => {
    let sum = 0;
    for (let k = 0; k < set.length; k++) sum += model.neutral[(set[k] as number) * 3 + 1] as number;
    return sum / Math.max(1, set.length);
  };
  const eyesY = (meanY(model.sets.leftEye) + meanY(model.sets.rightEye)) / 2;
  const nostrilsY = (meanY(model.sets.noseLeftAla) + meanY(model.sets.noseRightAla)) / 2;
  const top = eyesY + 0.55 * (nostrilsY - eyesY);
  const full = nostrilsY;
  const out = new Float32Array(FACE_VERTEX_COUNT);
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    const y = model.neutral[i * 3 + 1] as number;
    const t = Math.min(1, Math.max(0, (y - top) / (full - top)));
    out[i] = t * t * (3 - 2 * t);
  }
  return out;
}

/** Mean inner-lip gap of a posed mesh (corners excluded), px. */
export function innerLipGap(model: FaceModel, points: Float32Array, stride: number): number {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  let sum = 0;
  for (let k = 1; k + 1 < upper.length; k++) {
    const u = (upper[k] as number) * stride;
    const l = (lower[k] as number) * stride;
    sum += Math.hypot(
      (points[l] as number) - (points[u] as number),
      (points[l + 1] as number) - (points[u + 1] as number),
    );
  }
  return sum / (upper.length - 2);
}

/** Centre of the lips and the eye distance of a posed mesh, px. */
export function mouthAnchor(
  model: FaceModel,
  points: Float32Array,
  stride: number,
): { x: number; y: number; interOcularPx: number } {
  const centre = (set: ArrayLike<number>) => {
    let x = 0;
    let y = 0;
    for (let k = 0; k < set.length; k++) {
      const i = set[k] as number;
      x += points[i * stride] as number;
      y += points[i * stride + 1] as number;
    }
    return { x: x / set.length, y: y / set.length };
  };
  const mouth = centre(model.sets.lips);
  const l = centre(model.sets.leftEye);
  const r = centre(model.sets.rightEye);
  return { ...mouth, interOcularPx: Math.hypot(l.x - r.x, l.y - r.y) };
}
