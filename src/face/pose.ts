import { z } from 'zod';
import { BLENDSHAPE_COUNT, type HeadPose } from '../controls/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from './model.ts';

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const angle = finite.refine((v) => Math.abs(v) <= Math.PI, {
  message: 'must be radians in [-π, π]',
});

/**
 * Where a face sits in an image, under the weak-perspective (scaled orthographic) camera
 * every stage uses: `image_xy = pxPerCm · (R · v)_xy + (txPx, tyPx)`, image y down, with
 * depth `pxPerCm · (R · v)_z` (larger = farther) for ordering.
 *
 * Rotation R from pitch/yaw/roll (radians) with the Controls conventions: pitch positive =
 * nod down, yaw positive = turn to the subject's left, roll positive = tilt to the subject's
 * left; R = Rz(roll) · Ry(−yaw) · Rx(pitch) in the model/camera frame (x right, y down,
 * z away). The zero pose is a frontal, upright face.
 */
export const facePoseSchema = z
  .object({
    pitch: angle,
    yaw: angle,
    roll: angle,
    /** Image pixels per model centimetre (the weak-perspective scale). */
    pxPerCm: finite.refine((v) => v > 0, { message: 'must be positive' }),
    /** Image position (px) of the model origin. */
    txPx: finite,
    tyPx: finite,
  })
  .strict();
export type FacePose = z.infer<typeof facePoseSchema>;

/**
 * Rotation matrix (row-major 3 × 3) of pitch/yaw/roll in facecast's convention:
 * R = Rz(roll) · Ry(−yaw) · Rx(pitch).
 *
 * @example
 * const r = rotationMatrix(0, 0.2, 0); // turned 0.2 rad to the subject's left
 */
export function rotationMatrix(
  pitch: number,
  yaw: number,
  roll: number,
  out: Float64Array = new Float64Array(9),
): Float64Array {
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  const ca = Math.cos(-yaw);
  const sa = Math.sin(-yaw);
  const cr = Math.cos(roll);
  const sr = Math.sin(roll);
  // Ry(a) · Rx(p)
  const m00 = ca;
  const m01 = sa * sp;
  const m02 = sa * cp;
  const m11 = cp;
  const m12 = -sp;
  const m20 = -sa;
  const m21 = ca * sp;
  const m22 = ca * cp;
  out[0] = cr * m00;
  out[1] = cr * m01 - sr * m11;
  out[2] = cr * m02 - sr * m12;
  out[3] = sr * m00;
  out[4] = sr * m01 + cr * m11;
  out[5] = sr * m02 + cr * m12;
  out[6] = m20;
  out[7] = m21;
  out[8] = m22;
  return out;
}

/** Inverse of {@link rotationMatrix}: pitch/yaw/roll (radians) of a rotation matrix. */
export function anglesFromRotation(r: ArrayLike<number>): {
  pitch: number;
  yaw: number;
  roll: number;
} {
  const r20 = Math.max(-1, Math.min(1, r[6] as number));
  return {
    pitch: Math.atan2(r[7] as number, r[8] as number),
    yaw: Math.asin(r20),
    roll: Math.atan2(r[3] as number, r[0] as number),
  };
}

/**
 * The face's shape in the model frame: `identity + Σ weights[k] · basis[k]` (468 × 3, cm).
 * `weights` is in ARKIT_BLENDSHAPES order; values are used as given (callers clamp).
 */
export function deformVertices(
  model: FaceModel,
  identity: ArrayLike<number>,
  weights: ArrayLike<number>,
  out: Float32Array = new Float32Array(FACE_VERTEX_COUNT * 3),
): Float32Array {
  const n = FACE_VERTEX_COUNT * 3;
  for (let i = 0; i < n; i++) out[i] = identity[i] as number;
  const basis = model.basis;
  for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
    const w = weights[k] ?? 0;
    if (w === 0) continue;
    const offset = k * n;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + w * (basis[offset + i] as number);
  }
  return out;
}

/**
 * THE projection shared by fitting and rendering: deforms `identity` by the blendshape
 * `weights` and projects it with `pose` (weak perspective). Returns 468 × (x_px, y_px,
 * depth_px), depth larger = farther from the camera.
 *
 * @example
 * const model = await loadFaceModel();
 * const { identity, weights, pose } = profile.fit; // from loadAvatarProfile
 * const points = poseVertices(model, identity, weights, pose);
 */
export function poseVertices(
  model: FaceModel,
  identity: ArrayLike<number>,
  weights: ArrayLike<number>,
  pose: FacePose,
  out: Float32Array = new Float32Array(FACE_VERTEX_COUNT * 3),
): Float32Array {
  deformVertices(model, identity, weights, out);
  return projectInPlace(out, pose);
}

/** Projects model-frame points (n × 3) in place with the weak-perspective `pose`. */
export function projectInPlace(points: Float32Array, pose: FacePose): Float32Array {
  const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
  const s = pose.pxPerCm;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i] as number;
    const y = points[i + 1] as number;
    const z = points[i + 2] as number;
    points[i] =
      s * ((r[0] as number) * x + (r[1] as number) * y + (r[2] as number) * z) + pose.txPx;
    points[i + 1] =
      s * ((r[3] as number) * x + (r[4] as number) * y + (r[5] as number) * z) + pose.tyPx;
    points[i + 2] = s * ((r[6] as number) * x + (r[7] as number) * y + (r[8] as number) * z);
  }
  return points;
}

/** Options for {@link applyHeadDelta}. */
export interface HeadDeltaOptions {
  /**
   * Focal length in pixels of the assumed camera, used only to turn `head.z` (distance
   * change, inter-ocular units) into a scale change. Default: the larger image side, i.e.
   * a ~53° field of view, the same assumption `track` makes when it reports z.
   */
  focalPx: number;
  /** Inter-ocular distance of the face in cm (FaceModel.interOcularCm). */
  interOcularCm: number;
}

/**
 * Applies a Controls head pose as a delta on top of a fitted pose (how a photo avatar
 * moves): the delta rotation is applied in the camera frame after the base rotation
 * (R = R(head) · R(base)), translation x/y are inter-ocular distances in image axes, and
 * z (away from the camera, inter-ocular distances) shrinks the weak-perspective scale as
 * a pinhole camera of focal length `focalPx` would.
 */
export function applyHeadDelta(
  base: FacePose,
  head: HeadPose,
  options: HeadDeltaOptions,
): FacePose {
  const rb = rotationMatrix(base.pitch, base.yaw, base.roll);
  const rd = rotationMatrix(head.pitch, head.yaw, head.roll);
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += (rd[i * 3 + k] as number) * (rb[k * 3 + j] as number);
      r[i * 3 + j] = sum;
    }
  }
  const iodPx = base.pxPerCm * options.interOcularCm;
  const distanceIod = options.focalPx / iodPx;
  const scale = distanceIod / Math.max(distanceIod * 0.05, distanceIod + head.z);
  return {
    ...anglesFromRotation(r),
    pxPerCm: base.pxPerCm * scale,
    txPx: base.txPx + head.x * iodPx,
    tyPx: base.tyPx + head.y * iodPx,
  };
}
