/**
 * One face → 478 landmarks: the face crop through MediaPipe's face mesh (468 points), then both
 * eye crops through its iris model (eye contours refined, 5 iris points per eye). Geometry as
 * @vladmandic/human computes it for the same models (crop sampling, coordinate mapping, which
 * contours the iris model replaces), except that the eye crops are sampled from the frame
 * itself (not re-sampled from the face crop) and only the subject's left eye is mirrored — the
 * iris model sees right eyes, as in MediaPipe (Human 3.3.6 mirrors both).
 */
import { type SampleGrid, sampleRgb } from './crop.ts';
import {
  EYE_CORNERS,
  type EyeSide,
  IRIS_MODEL_IRIS_START,
  IRIS_MODEL_POINTS,
  lidCentres,
  refinedPairs,
} from './eye-regions.ts';
import type { RgbImage } from './landmarker.ts';
import { FACE_VERTEX_COUNT, LANDMARK_COUNT } from './model.ts';

/** Side of the face mesh model's input, px. */
export const MESH_SIZE = 192;
/** Side of the iris model's input, px. */
export const IRIS_SIZE = 64;
/** Eye crop: the corner-to-corner box enlarged 2.3× (Human's and MediaPipe's default). */
const EYE_BOX_SCALE = 2.3;
/** Depth difference between the eye corners (mesh units) beyond which only the nearer eye's lids are refined. */
const TURNED_DEPTH = 30;

/** The face crop: an axis-aligned box (px) turned by `angle` (rad, clockwise on screen) about its centre. */
export interface FaceRoi {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  angle: number;
}

/** Runs the two models on preallocated NHWC buffers (batch 1 face, batch 2 eyes). */
export interface MeshModels {
  meshInput: Float32Array;
  irisInput: Float32Array;
  runMesh(): Promise<{ mesh: Float32Array; faceFlag: number }>;
  runIris(): Promise<Float32Array>;
}

/**
 * tfjs cropAndResize's grid for the box on a width × height image (box edges scaled by
 * (side − 1) / side, as tfjs normalises them), turned by roi.angle about the box centre.
 */
export function roiGrid(roi: FaceRoi, width: number, height: number, size: number): SampleGrid {
  const cx = (roi.x1 + roi.x2) / 2;
  const cy = (roi.y1 + roi.y2) / 2;
  const px0 = (roi.x1 * (width - 1)) / width - cx;
  const py0 = (roi.y1 * (height - 1)) / height - cy;
  const sx = ((roi.x2 - roi.x1) * (width - 1)) / width / (size - 1);
  const sy = ((roi.y2 - roi.y1) * (height - 1)) / height / (size - 1);
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  return {
    x0: cx + cos * px0 - sin * py0,
    y0: cy + sin * px0 + cos * py0,
    dxCol: cos * sx,
    dyCol: sin * sx,
    dxRow: -sin * sy,
    dyRow: cos * sy,
  };
}

/** 478 × 3 landmarks (x, y px of the image; z in mesh units) and the mesh's face probability. */
export interface MeshResult {
  landmarks: Float32Array;
  faceFlag: number;
}

/**
 * Landmarks of the face in `roi`, or only the face flag when it is below `minFaceFlag` (the
 * iris model is skipped then). With `iris` false the iris model never runs: the eye contours
 * stay the mesh's and the 10 iris points are NaN.
 */
export async function runFaceMesh(
  image: RgbImage,
  roi: FaceRoi,
  models: MeshModels,
  minFaceFlag: number,
  iris = true,
): Promise<MeshResult> {
  const grid = roiGrid(roi, image.width, image.height, MESH_SIZE);
  sampleRgb(
    image,
    grid,
    { size: MESH_SIZE, scale: 1 / 255, bias: 0, edge: 'zero' },
    models.meshInput,
  );
  const { mesh, faceFlag } = await models.runMesh();
  const landmarks = new Float32Array(LANDMARK_COUNT * 3);
  if (faceFlag < minFaceFlag) return { landmarks, faceFlag };
  const raw = Float32Array.from(mesh.subarray(0, FACE_VERTEX_COUNT * 3));
  if (!iris) {
    toImage(raw, landmarks, roi);
    landmarks.fill(Number.NaN, FACE_VERTEX_COUNT * 3);
    return { landmarks, faceFlag };
  }
  const eyes = eyeBoxes(raw);
  eyes.forEach((box, i) => {
    const eyeGrid = composeGrid(grid, box, MESH_SIZE, IRIS_SIZE);
    const options = {
      size: IRIS_SIZE,
      scale: 1 / 255,
      bias: 0,
      edge: 'zero',
      flip: box.flip,
    } as const;
    sampleRgb(image, eyeGrid, options, models.irisInput, i * IRIS_SIZE * IRIS_SIZE * 3);
  });
  const eyeOut = await models.runIris();
  refineEyes(raw, eyeOut, eyes, landmarks);
  toImage(raw, landmarks, roi);
  return { landmarks, faceFlag };
}

interface EyeBox {
  side: EyeSide;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  flip: boolean;
}

/** Eye boxes in face-crop px: the corners' box enlarged 2.3× and squared (rounded), left eye first. */
function eyeBoxes(raw: Float32Array): EyeBox[] {
  return (['left', 'right'] as const).map((side) => {
    const [a, b] = EYE_CORNERS[side];
    const ax = raw[a * 3] as number;
    const ay = raw[a * 3 + 1] as number;
    const bx = raw[b * 3] as number;
    const by = raw[b * 3 + 1] as number;
    const cx = (Math.min(ax, bx) + Math.max(ax, bx)) / 2;
    const cy = (Math.min(ay, by) + Math.max(ay, by)) / 2;
    const half = (Math.max(Math.abs(ax - bx), Math.abs(ay - by)) * EYE_BOX_SCALE) / 2;
    return {
      side,
      x1: Math.round(cx - half),
      y1: Math.round(cy - half),
      x2: Math.round(cx + half),
      y2: Math.round(cy + half),
      flip: side === 'left',
    };
  });
}

/** The grid of a crop of the crop: `box` (px of the outer crop, cropAndResize semantics) in image px. */
function composeGrid(outer: SampleGrid, box: EyeBox, outerSize: number, size: number): SampleGrid {
  const k = (outerSize - 1) / outerSize;
  const u0 = box.x1 * k;
  const v0 = box.y1 * k;
  const su = ((box.x2 - box.x1) * k) / (size - 1);
  const sv = ((box.y2 - box.y1) * k) / (size - 1);
  return {
    x0: outer.x0 + u0 * outer.dxCol + v0 * outer.dxRow,
    y0: outer.y0 + u0 * outer.dyCol + v0 * outer.dyRow,
    dxCol: su * outer.dxCol,
    dyCol: su * outer.dyCol,
    dxRow: sv * outer.dxRow,
    dyRow: sv * outer.dyRow,
  };
}

/**
 * Replaces the eye contours by the iris model's (depth: mean of both) — both eyes when the
 * face is frontal, else only the nearer eye's lids — and writes the 10 iris points (face-crop
 * px; depth from the lids) after the 468 mesh points of `out`.
 */
function refineEyes(raw: Float32Array, eyeOut: Float32Array, eyes: EyeBox[], out: Float32Array) {
  const eyePoints = eyes.map((box, i) => eyeToCrop(eyeOut, i, box));
  const depthDiff =
    (raw[(EYE_CORNERS.left[0] as number) * 3 + 2] as number) -
    (raw[(EYE_CORNERS.right[0] as number) * 3 + 2] as number);
  const frontal = Math.abs(depthDiff) < TURNED_DEPTH;
  eyes.forEach((box, i) => {
    const nearer = box.side === (depthDiff < 1 ? 'left' : 'right');
    if (!frontal && !nearer) return;
    const points = eyePoints[i] as Float32Array;
    for (const [mesh, m] of refinedPairs(box.side, !frontal)) {
      raw[mesh * 3] = points[m * 3] as number;
      raw[mesh * 3 + 1] = points[m * 3 + 1] as number;
      raw[mesh * 3 + 2] = ((points[m * 3 + 2] as number) + (raw[mesh * 3 + 2] as number)) / 2;
    }
  });
  eyes.forEach((box, i) => {
    const points = eyePoints[i] as Float32Array;
    const lids = lidCentres(box.side);
    const upperZ = raw[lids.upper * 3 + 2] as number;
    const lowerZ = raw[lids.lower * 3 + 2] as number;
    for (let k = 0; k < 5; k++) {
      const src = (IRIS_MODEL_IRIS_START + k) * 3;
      const dst = (FACE_VERTEX_COUNT + i * 5 + k) * 3;
      out[dst] = points[src] as number;
      out[dst + 1] = points[src + 1] as number;
      out[dst + 2] = k === 2 ? upperZ : k === 4 ? lowerZ : (upperZ + lowerZ) / 2;
    }
  });
}

/** One eye's 76 iris-model points in face-crop px (un-mirrored). */
function eyeToCrop(eyeOut: Float32Array, index: number, box: EyeBox): Float32Array {
  const points = new Float32Array(IRIS_MODEL_POINTS * 3);
  const base = index * IRIS_MODEL_POINTS * 3;
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  for (let k = 0; k < IRIS_MODEL_POINTS; k++) {
    const u = (eyeOut[base + k * 3] as number) / IRIS_SIZE;
    points[k * 3] = (box.flip ? 1 - u : u) * w + box.x1;
    points[k * 3 + 1] = ((eyeOut[base + k * 3 + 1] as number) / IRIS_SIZE) * h + box.y1;
    points[k * 3 + 2] = eyeOut[base + k * 3 + 2] as number;
  }
  return points;
}

/** Face-crop px → image px (the 468 mesh points from `raw`, the iris points in place in `out`). */
function toImage(raw: Float32Array, out: Float32Array, roi: FaceRoi): void {
  out.set(raw);
  const cx = (roi.x1 + roi.x2) / 2;
  const cy = (roi.y1 + roi.y2) / 2;
  const sx = (roi.x2 - roi.x1) / MESH_SIZE;
  const sy = (roi.y2 - roi.y1) / MESH_SIZE;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  const half = MESH_SIZE / 2;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const u = ((out[i * 3] as number) - half) * sx;
    const v = ((out[i * 3 + 1] as number) - half) * sy;
    out[i * 3] = cx + cos * u - sin * v;
    out[i * 3 + 1] = cy + sin * u + cos * v;
  }
}
