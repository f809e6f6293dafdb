import type { FaceBox } from './blazeface.ts';
import type { FaceRoi } from './face-mesh.ts';
import { FACE_VERTEX_COUNT } from './model.ts';

/** Below this tilt (rad) a detector box is cropped upright, as Human does. */
const MIN_BOX_ROTATION = 0.2;
/** Detector keypoints that give a detected face's tilt: mouth → nose. */
const KEYPOINT_MOUTH = 3;
const KEYPOINT_NOSE = 2;
/** Mesh landmarks that give a tracked face's tilt: the outer eye corners (subject's right, left). */
const EYE_OUTER_RIGHT = 33;
const EYE_OUTER_LEFT = 263;

/**
 * The face crop of a detection, as Human crops it: the squared detector box, turned by the
 * mouth → nose direction when that tilt exceeds 0.2 rad.
 */
export function roiFromDetection(face: FaceBox): FaceRoi {
  const k = face.keypoints;
  const dx = (k[KEYPOINT_NOSE * 2] as number) - (k[KEYPOINT_MOUTH * 2] as number);
  const dy = (k[KEYPOINT_NOSE * 2 + 1] as number) - (k[KEYPOINT_MOUTH * 2 + 1] as number);
  const angle = normaliseAngle(Math.PI / 2 - Math.atan2(-dy, dx));
  return {
    x1: face.x1,
    y1: face.y1,
    x2: face.x2,
    y2: face.y2,
    angle: Math.abs(angle) > MIN_BOX_ROTATION ? angle : 0,
  };
}

/**
 * The next frame's face crop from this frame's landmarks (how MediaPipe tracks a face): turned
 * by the eye line, centred on the 468 points' box in that turned frame, its side `scale` times
 * the box's longer side.
 */
export function roiFromLandmarks(landmarks: Float32Array, scale: number): FaceRoi {
  const ax = landmarks[EYE_OUTER_RIGHT * 3] as number;
  const ay = landmarks[EYE_OUTER_RIGHT * 3 + 1] as number;
  const angle = Math.atan2(
    (landmarks[EYE_OUTER_LEFT * 3 + 1] as number) - ay,
    (landmarks[EYE_OUTER_LEFT * 3] as number) - ax,
  );
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let minU = Number.POSITIVE_INFINITY;
  let maxU = Number.NEGATIVE_INFINITY;
  let minV = Number.POSITIVE_INFINITY;
  let maxV = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    const x = landmarks[i * 3] as number;
    const y = landmarks[i * 3 + 1] as number;
    const u = cos * x + sin * y;
    const v = -sin * x + cos * y;
    if (u < minU) minU = u;
    if (u > maxU) maxU = u;
    if (v < minV) minV = v;
    if (v > maxV) maxV = v;
  }
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  const cx = cos * cu - sin * cv;
  const cy = sin * cu + cos * cv;
  const half = (Math.max(maxU - minU, maxV - minV) * scale) / 2;
  return { x1: cx - half, y1: cy - half, x2: cx + half, y2: cy + half, angle };
}

/** Overlap (intersection over union) of two crops' upright boxes. */
export function roiOverlap(a: FaceRoi, b: FaceRoi): number {
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

function normaliseAngle(angle: number): number {
  return angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
}
