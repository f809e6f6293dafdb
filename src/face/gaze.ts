import { BLENDSHAPE_INDEX, type Gaze } from '../controls/index.ts';
import { type FaceModel, IRIS_LANDMARKS, LANDMARK_COUNT } from './model.ts';
import { type FacePose, rotationMatrix } from './pose.ts';

/** Distance from the eyeball's centre of rotation to the iris centre, cm (adult eye ≈ 12 mm radius). */
export const EYE_RADIUS_CM = 1.2;
/**
 * Where the iris centre sits relative to the centre of the eye opening when looking straight
 * ahead, in the head frame (cm): slightly above it, because the upper lid covers more of the
 * eyeball than the lower. Measured on the 7 faces of the fixture photos, all looking at the
 * camera (mean pitch −7° without it).
 */
export const IRIS_REST_OFFSET_CM = Object.freeze({ x: 0, y: -0.15 });
/** Gaze angle (radians) at which an eyeLook weight reaches 1: horizontal, vertical. */
export const EYE_LOOK_FULL_RAD = Object.freeze({ horizontal: 0.6, vertical: 0.5 });

/**
 * Eye rotations from the iris landmarks (478-point layout). The iris centre's offset from
 * the centre of the eye opening (mean of its 16 contour points) is taken into the head
 * frame — assuming it lies in the face plane — less the rest offset
 * {@link IRIS_REST_OFFSET_CM}, and read as a rotation of an eyeball of radius
 * {@link EYE_RADIUS_CM}. Yaw positive towards the subject's left, pitch positive
 * down (Controls convention), relative to the head.
 */
export function gazeFromLandmarks(
  model: FaceModel,
  landmarks: ArrayLike<number>,
  pose: FacePose,
): Gaze {
  // without the iris points (or the iris model: NaN) there is no gaze
  const firstIris = (IRIS_LANDMARKS.left[0] as number) * 3;
  if (landmarks.length < LANDMARK_COUNT * 3 || !Number.isFinite(landmarks[firstIris])) {
    return { leftYaw: 0, leftPitch: 0, rightYaw: 0, rightPitch: 0 };
  }
  const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
  const eye = (contour: Uint32Array, iris: readonly number[]) => {
    let ex = 0;
    let ey = 0;
    for (const i of contour) {
      ex += (landmarks[i * 3] as number) / contour.length;
      ey += (landmarks[i * 3 + 1] as number) / contour.length;
    }
    let cx = 0;
    let cy = 0;
    for (const i of iris) {
      cx += (landmarks[i * 3] as number) / iris.length;
      cy += (landmarks[i * 3 + 1] as number) / iris.length;
    }
    const dx = (cx - ex) / pose.pxPerCm;
    const dy = (cy - ey) / pose.pxPerCm;
    // Solve [r00 r01; r10 r11] · [a; b] = [dx; dy] (offset in the head's x/y plane).
    const r00 = r[0] as number;
    const r01 = r[1] as number;
    const r10 = r[3] as number;
    const r11 = r[4] as number;
    const det = r00 * r11 - r01 * r10;
    const a = Math.abs(det) > 1e-6 ? (r11 * dx - r01 * dy) / det : dx;
    const b = Math.abs(det) > 1e-6 ? (r00 * dy - r10 * dx) / det : dy;
    const clamp = (v: number) => Math.max(-1, Math.min(1, v / EYE_RADIUS_CM));
    return {
      yaw: Math.asin(clamp(a - IRIS_REST_OFFSET_CM.x)),
      pitch: Math.asin(clamp(b - IRIS_REST_OFFSET_CM.y)),
    };
  };
  const left = eye(model.sets.leftEye, IRIS_LANDMARKS.left);
  const right = eye(model.sets.rightEye, IRIS_LANDMARKS.right);
  return { leftYaw: left.yaw, leftPitch: left.pitch, rightYaw: right.yaw, rightPitch: right.pitch };
}

/**
 * The eight eyeLook weights implied by a gaze (ARKit: In = towards the nose), each
 * `|angle| / EYE_LOOK_FULL_RAD` clamped to [0, 1]; index in ARKIT_BLENDSHAPES → weight.
 */
export function eyeLookWeights(gaze: Gaze): Map<number, number> {
  const h = (v: number) => Math.min(1, Math.max(0, v / EYE_LOOK_FULL_RAD.horizontal));
  const v = (x: number) => Math.min(1, Math.max(0, x / EYE_LOOK_FULL_RAD.vertical));
  return new Map([
    // Left eye sits at +x: looking to the subject's left (yaw > 0) is outwards.
    [BLENDSHAPE_INDEX.eyeLookOutLeft, h(gaze.leftYaw)],
    [BLENDSHAPE_INDEX.eyeLookInLeft, h(-gaze.leftYaw)],
    [BLENDSHAPE_INDEX.eyeLookDownLeft, v(gaze.leftPitch)],
    [BLENDSHAPE_INDEX.eyeLookUpLeft, v(-gaze.leftPitch)],
    [BLENDSHAPE_INDEX.eyeLookInRight, h(gaze.rightYaw)],
    [BLENDSHAPE_INDEX.eyeLookOutRight, h(-gaze.rightYaw)],
    [BLENDSHAPE_INDEX.eyeLookDownRight, v(gaze.rightPitch)],
    [BLENDSHAPE_INDEX.eyeLookUpRight, v(-gaze.rightPitch)],
  ]);
}
