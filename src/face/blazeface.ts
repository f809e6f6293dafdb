/**
 * BlazeFace (MediaPipe's short-range face detector) decoding: anchors, boxes, keypoints and
 * non-maximum suppression, as @vladmandic/human decodes the same model (so a detection gives
 * the same face crop Human would use).
 */

/** Side of the detector's square input, px. */
export const DETECTOR_SIZE = 256;
/** Human's defaults for the detector box: enlarged 1.4×, then made square. */
const BOX_SCALE = 1.4;
const KEYPOINTS = 6;
const STRIDE = 16; // values per anchor: score is separate; dx, dy, w, h, 6 × (x, y)

/** A detected face in image pixels: the (near-)square crop box and the 6 detector keypoints. */
export interface FaceBox {
  /** Crop box corners, px (integers: the detector box × 1.4, squared, rounded). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** Eyes (subject's right, left), nose, mouth, ears (right, left): 6 × (x, y) px. */
  keypoints: Float32Array;
}

/** Anchor centres (px of the 256 input): 16×16 cells × 2, then 8×8 cells × 6, as the model's outputs. */
export function detectorAnchors(): Float32Array {
  const anchors: number[] = [];
  for (const [stride, perCell] of [
    [DETECTOR_SIZE / 16, 2],
    [DETECTOR_SIZE / 8, 6],
  ] as const) {
    const cells = Math.ceil(DETECTOR_SIZE / stride);
    for (let gy = 0; gy < cells; gy++)
      for (let gx = 0; gx < cells; gx++)
        for (let n = 0; n < perCell; n++) anchors.push(stride * (gx + 0.5), stride * (gy + 0.5));
  }
  return Float32Array.from(anchors);
}

/** Raw detector outputs, anchors in model order (the 16×16 grid's then the 8×8 grid's). */
export interface DetectorOutputs {
  /** Face logits, one per anchor. */
  logits: Float32Array;
  /** 16 values per anchor. */
  regressors: Float32Array;
}

/** What {@link decodeDetections} keeps. */
export interface DecodeOptions {
  maxFaces: number;
  minScore: number;
  /** Boxes overlapping a better one by more than this IoU are dropped. Human: 0.1. */
  iouThreshold: number;
  imageWidth: number;
  imageHeight: number;
}

/**
 * Decodes the detector's outputs into face boxes in image pixels (best score first): sigmoid
 * scores above `minScore`, greedy non-maximum suppression, boxes enlarged 1.4× and squared.
 */
export function decodeDetections(
  raw: DetectorOutputs,
  anchors: Float32Array,
  o: DecodeOptions,
): FaceBox[] {
  const count = raw.logits.length;
  const candidates: { index: number; score: number }[] = [];
  for (let i = 0; i < count; i++) {
    const score = 1 / (1 + Math.exp(-(raw.logits[i] as number)));
    if (score > o.minScore) candidates.push({ index: i, score });
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: { index: number; score: number; box: number[] }[] = [];
  for (const c of candidates) {
    if (kept.length >= o.maxFaces) break;
    const box = rawBox(raw.regressors, anchors, c.index);
    if (kept.every((k) => iou(k.box, box) <= o.iouThreshold)) kept.push({ ...c, box });
  }
  const sx = o.imageWidth / DETECTOR_SIZE;
  const sy = o.imageHeight / DETECTOR_SIZE;
  return kept.map(({ index, score, box }) =>
    toFaceBox(raw.regressors, anchors, index, score, box, sx, sy),
  );
}

/** [x1, y1, x2, y2] in px of the 256 input. */
function rawBox(regressors: Float32Array, anchors: Float32Array, i: number): number[] {
  const r = i * STRIDE;
  const cx = (regressors[r] as number) + (anchors[i * 2] as number);
  const cy = (regressors[r + 1] as number) + (anchors[i * 2 + 1] as number);
  const w = regressors[r + 2] as number;
  const h = regressors[r + 3] as number;
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

function iou(a: number[], b: number[]): number {
  const [ax1, ay1, ax2, ay2] = a as [number, number, number, number];
  const [bx1, by1, bx2, by2] = b as [number, number, number, number];
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Scaled to the image, enlarged 1.4× about its centre and squared with rounded corners (Human's squarifyBox). */
function toFaceBox(
  regressors: Float32Array,
  anchors: Float32Array,
  index: number,
  score: number,
  box: number[],
  sx: number,
  sy: number,
): FaceBox {
  const [x1, y1, x2, y2] = box as [number, number, number, number];
  const cx = ((x1 + x2) / 2) * sx;
  const cy = ((y1 + y2) / 2) * sy;
  const half = (Math.max((x2 - x1) * sx, (y2 - y1) * sy) * BOX_SCALE) / 2;
  const keypoints = new Float32Array(KEYPOINTS * 2);
  const ax = anchors[index * 2] as number;
  const ay = anchors[index * 2 + 1] as number;
  for (let k = 0; k < KEYPOINTS; k++) {
    keypoints[k * 2] = ((regressors[index * STRIDE + 4 + k * 2] as number) + ax) * sx;
    keypoints[k * 2 + 1] = ((regressors[index * STRIDE + 5 + k * 2] as number) + ay) * sy;
  }
  return {
    x1: Math.round(cx - half),
    y1: Math.round(cy - half),
    x2: Math.round(cx + half),
    y2: Math.round(cy + half),
    score,
    keypoints,
  };
}
