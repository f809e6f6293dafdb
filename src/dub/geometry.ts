import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import {
  deformVertices,
  FACE_VERTEX_COUNT,
  type FaceModel,
  type FacePose,
  poseVertices,
  rotationMatrix,
} from '../face/index.ts';
import { mergeWeights } from './merge.ts';
import { closedNeutral, modelMouthShare } from './mouth-fit.ts';

/**
 * Per-frame geometry of a dubbed frame, with buffers allocated once. The source mesh is the
 * frame's own landmarks (so the renderer samples exactly the pixels the detector saw); the
 * new mesh is, on and around the lips, the model's mouth on this person's closed neutral
 * with the new weights, and further out the landmarks moved by the model's displacement:
 *
 *   target = landmarks + strength · (model(closed, new) − model(calibrated, source) − share · residual)
 *
 * where residual = landmarks − model(calibrated, source) is what the fit did not explain and
 * share ({@link modelMouthShare}) is 1 at the inner lips, 0 past 1.5 cm. Where the audio drives
 * nothing (eyes, brows) new = source weights and the displacement is 0.
 */
export class FrameGeometry {
  readonly #model: FaceModel;
  readonly #share: Float32Array;
  readonly #closed = new WeakMap<Float32Array, Float32Array>();
  readonly #posed = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #expression = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #zero = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #fitted = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #modelTarget = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #full = new Float32Array(BLENDSHAPE_COUNT);
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
    this.#share = modelMouthShare(model);
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
    deformVertices(model, calibrated, sourceWeights, this.#posed);
    deformVertices(model, this.#zero, sourceWeights, this.#expression);
    const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
    const posed = this.#posed;
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
        this.identity[i * 3 + a] = unposed - (this.#expression[i * 3 + a] as number);
      }
    }
    poseVertices(model, this.identity, sourceWeights, pose, this.source);
    poseVertices(model, calibrated, sourceWeights, pose, this.#fitted);
    mergeWeights(sourceWeights, audioWeights, 1, this.#full);
    let closed = this.#closed.get(calibrated);
    if (!closed) {
      closed = closedNeutral(model, calibrated);
      this.#closed.set(calibrated, closed);
    }
    poseVertices(model, closed, this.#full, pose, this.#modelTarget);
    const src = this.source;
    const fitted = this.#fitted;
    const mt = this.#modelTarget;
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      const share = this.#share[i] as number;
      for (let a = 0; a < 3; a++) {
        const o = i * 3 + a;
        const s = src[o] as number;
        const residual = s - (fitted[o] as number);
        const full = (mt[o] as number) + (1 - share) * residual;
        this.target[o] = s + strength * (full - s);
      }
    }
    mergeWeights(sourceWeights, audioWeights, strength, this.frameWeights);
  }
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
