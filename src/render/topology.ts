import { FACE_VERTEX_COUNT, type FaceModel } from '../face/index.ts';
import { PART_LABELS } from './labels.ts';

/** An opening (mouth or eye) drawn as a strip between its upper and lower contour. */
export interface OpeningStrip {
  /** Upper contour (lip or lid), corner to corner; the same length as `lower`. */
  upper: Uint32Array;
  /** Lower contour, from the same corner to the same other corner. */
  lower: Uint32Array;
  /** Strip triangles (face-vertex indices), oriented front-facing. */
  triangles: Uint32Array;
}

/**
 * Everything the renderer derives once from the face model: which triangles are drawn as
 * surface with which label, the opening strips (which carry the u/v parameters the mouth
 * fill and the gaze shift need), the canonical coordinates of each vertex, and the vertices
 * that move rigidly with the skull.
 */
export interface RenderTopology {
  /** Surface triangles (the model's, minus the ones that cover the openings). */
  surface: Uint32Array;
  surfaceLabels: Uint8Array;
  mouth: OpeningStrip;
  leftEye: OpeningStrip;
  rightEye: OpeningStrip;
  /** Face outline loop (the skirt is built outwards from it). */
  oval: Uint32Array;
  /** Canonical coordinates in [0, 1]³ of each face vertex (the neutral shape's bounding box). */
  nocs: Float32Array;
  /** Vertices that move with the skull only (forehead, nose, upper cheeks), for the head's 2-D motion. */
  rigid: Uint32Array;
  /** Sign of a front-facing triangle's signed area in image coordinates (x right, y down). */
  frontSign: 1 | -1;
}

/** Builds the render topology of a face model (once per model). */
export function buildTopology(model: FaceModel): RenderTopology {
  const n = model.neutral;
  const frontSign = frontFacingSign(model);
  const covered = new Set<number>([
    ...model.triangleSets.mouthInterior,
    ...model.triangleSets.leftEyeInterior,
    ...model.triangleSets.rightEyeInterior,
  ]);
  const lips = new Set(model.sets.lips);
  const brows = new Set([...model.sets.leftBrow, ...model.sets.rightBrow]);
  const surface: number[] = [];
  const labels: number[] = [];
  for (let t = 0; t < model.triangleCount; t++) {
    if (covered.has(t)) continue;
    const tri = [0, 1, 2].map((k) => model.triangles[t * 3 + k] as number);
    surface.push(...tri);
    labels.push(
      tri.every((i) => lips.has(i))
        ? PART_LABELS.lips
        : tri.every((i) => brows.has(i))
          ? PART_LABELS.brows
          : PART_LABELS.skin,
    );
  }

  const nocs = new Float32Array(FACE_VERTEX_COUNT * 3);
  for (let a = 0; a < 3; a++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      lo = Math.min(lo, n[i * 3 + a] as number);
      hi = Math.max(hi, n[i * 3 + a] as number);
    }
    for (let i = 0; i < FACE_VERTEX_COUNT; i++)
      nocs[i * 3 + a] = ((n[i * 3 + a] as number) - lo) / (hi - lo);
  }

  // The skull moves rigidly above the nose tip; lids and brows move with expressions.
  const noseTip = model.sets.noseBridge[model.sets.noseBridge.length - 1] as number;
  const tipY = n[noseTip * 3 + 1] as number;
  const moving = new Set([
    ...model.sets.leftEye,
    ...model.sets.rightEye,
    ...model.sets.leftBrow,
    ...model.sets.rightBrow,
  ]);
  const rigid: number[] = [];
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    if ((n[i * 3 + 1] as number) <= tipY && (n[i * 3 + 2] as number) < 0 && !moving.has(i))
      rigid.push(i);
  }

  return {
    surface: Uint32Array.from(surface),
    surfaceLabels: Uint8Array.from(labels),
    mouth: strip(model, model.sets.lipsUpperInner, model.sets.lipsLowerInner, frontSign),
    leftEye: strip(model, model.sets.leftEyeUpper, model.sets.leftEyeLower, frontSign),
    rightEye: strip(model, model.sets.rightEyeUpper, model.sets.rightEyeLower, frontSign),
    oval: Uint32Array.from(model.sets.faceOval),
    nocs,
    rigid: Uint32Array.from(rigid),
    frontSign,
  };
}

/** Majority sign of the signed area of camera-facing triangles of the neutral shape. */
function frontFacingSign(model: FaceModel): 1 | -1 {
  const n = model.neutral;
  let votes = 0;
  for (let t = 0; t < model.triangleCount; t++) {
    const [a, b, c] = [0, 1, 2].map((k) => model.triangles[t * 3 + k] as number) as [
      number,
      number,
      number,
    ];
    if ((n[a * 3 + 2] as number) > -1) continue; // only the front of the face
    votes += Math.sign(signedArea(n, a, b, c));
  }
  return votes >= 0 ? 1 : -1;
}

function signedArea(p: ArrayLike<number>, a: number, b: number, c: number): number {
  const ax = p[a * 3] as number;
  const ay = p[a * 3 + 1] as number;
  return (
    ((p[b * 3] as number) - ax) * ((p[c * 3 + 1] as number) - ay) -
    ((p[c * 3] as number) - ax) * ((p[b * 3 + 1] as number) - ay)
  );
}

/**
 * Quads between matching points of the upper and lower contour, split in two, wound so
 * that an open opening is front-facing (an opening that closes past zero is then culled).
 */
function strip(
  model: FaceModel,
  upper: Uint32Array,
  lower: Uint32Array,
  frontSign: number,
): OpeningStrip {
  if (upper.length !== lower.length || upper.length < 3) {
    throw new RangeError('opening contours must have the same length (≥ 3)');
  }
  const n = model.neutral;
  // Orientation from the quad where the contours are farthest apart.
  let best = 1;
  let gap = -1;
  for (let i = 1; i < upper.length - 1; i++) {
    const d =
      (n[(lower[i] as number) * 3 + 1] as number) - (n[(upper[i] as number) * 3 + 1] as number);
    if (d > gap) {
      gap = d;
      best = i;
    }
  }
  const flip =
    Math.sign(
      signedArea(n, upper[best - 1] as number, upper[best] as number, lower[best] as number),
    ) !== frontSign;
  const triangles: number[] = [];
  for (let i = 0; i + 1 < upper.length; i++) {
    const u0 = upper[i] as number;
    const u1 = upper[i + 1] as number;
    const l0 = lower[i] as number;
    const l1 = lower[i + 1] as number;
    for (const [a, b, c] of [
      [u0, u1, l1],
      [u0, l1, l0],
    ] as const) {
      if (a === b || b === c || a === c) continue;
      triangles.push(...(flip ? [a, c, b] : [a, b, c]));
    }
  }
  return { upper, lower, triangles: Uint32Array.from(triangles) };
}
