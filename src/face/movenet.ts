import type { RgbImage } from './landmarker.ts';
import { BODY_KEYPOINT_NAMES, type BodyKeypoint, type BodyKeypointName } from './profile.ts';

/**
 * MoveNet SinglePose Lightning's input and output as @vladmandic/human uses the same model
 * (so the ONNX model in models/movenet gives Human's keypoints): the frame is padded to a
 * square with black (centred), resized to 192² bilinearly (tfjs resizeBilinear: no corner
 * alignment, no half-pixel offset) and truncated to integers; the model's keypoints are
 * rounded to input pixels, left/right pairs put on their sides, improbable ones dropped, and
 * each keypoint held while it moves less than 0.5 % of the frame.
 */

export const MOVENET_SIZE = 192;
/** Human's `maxJitter`: a keypoint that moved less than this (fraction of the frame) is held. */
const MAX_JITTER = 0.005;

/** One decoded keypoint in Human's terms (part name, pixel position, position / frame size). */
export interface MoveNetPoint {
  part: BodyKeypointName;
  score: number;
  x: number;
  y: number;
  rawX: number;
  rawY: number;
}

/** The padding of each side (Human's `padInput`): half the difference of the sides, truncated. */
export function squarePadding(width: number, height: number): { padX: number; padY: number } {
  return {
    padX: height > width ? Math.trunc((height - width) / 2) : 0,
    padY: width > height ? Math.trunc((width - height) / 2) : 0,
  };
}

/**
 * Writes the model input (192 × 192 × 3 integers 0–255) for `image` into `out`: the image
 * padded to a square with black, resized as tfjs-wasm's resizeBilinear does it — in float32,
 * step by step (crop.ts's sampler works in doubles: the ±1 it gives after truncation moves
 * MoveNet's low-score keypoints by a heatmap cell) — and truncated.
 */
export function moveNetInput(image: RgbImage, out: Int32Array): void {
  const { padX, padY } = squarePadding(image.width, image.height);
  if (padX === 0 && padY === 0) {
    resizeFloat32(image, MOVENET_SIZE, out);
    return;
  }
  const width = image.width + 2 * padX;
  const height = image.height + 2 * padY;
  const data = new Uint8Array(width * height * 3);
  const row = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * row, (y + 1) * row), ((y + padY) * width + padX) * 3);
  }
  resizeFloat32({ width, height, data }, MOVENET_SIZE, out);
}

const f32 = Math.fround;

/** tfjs-wasm's ResizeBilinear (no corner alignment, no half-pixel centres), float32, truncated. */
function resizeFloat32(image: RgbImage, size: number, out: Int32Array): void {
  const { width: w, height: h, data } = image;
  const scaleY = f32(h / size);
  const scaleX = f32(w / size);
  let k = 0;
  for (let r = 0; r < size; r++) {
    const ys = f32(r * scaleY);
    const y0 = Math.floor(ys);
    const y1 = Math.min(h - 1, Math.ceil(ys));
    const ly = f32(ys - y0);
    for (let c = 0; c < size; c++) {
      const xs = f32(c * scaleX);
      const x0 = Math.floor(xs);
      const x1 = Math.min(w - 1, Math.ceil(xs));
      const lx = f32(xs - x0);
      const p00 = (y0 * w + x0) * 3;
      const p01 = (y0 * w + x1) * 3;
      const p10 = (y1 * w + x0) * 3;
      const p11 = (y1 * w + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const tl = data[p00 + ch] as number;
        const bl = data[p10 + ch] as number;
        const top = f32(tl + f32(((data[p01 + ch] as number) - tl) * lx));
        const bottom = f32(bl + f32(((data[p11 + ch] as number) - bl) * lx));
        out[k++] = Math.trunc(f32(top + f32(f32(bottom - top) * ly)));
      }
    }
  }
}

const HORIZONTAL: [BodyKeypointName, BodyKeypointName][] = [
  ['leftEye', 'rightEye'],
  ['leftEar', 'rightEar'],
  ['leftShoulder', 'rightShoulder'],
  ['leftElbow', 'rightElbow'],
  ['leftWrist', 'rightWrist'],
  ['leftHip', 'rightHip'],
  ['leftKnee', 'rightKnee'],
  ['leftAnkle', 'rightAnkle'],
];
const VERTICAL: [BodyKeypointName, BodyKeypointName][] = [
  ['leftKnee', 'leftShoulder'],
  ['rightKnee', 'rightShoulder'],
  ['leftAnkle', 'leftKnee'],
  ['rightAnkle', 'rightKnee'],
];
const RELATIVE: [[BodyKeypointName, BodyKeypointName], [BodyKeypointName, BodyKeypointName]][] = [
  [
    ['leftHip', 'rightHip'],
    ['leftShoulder', 'rightShoulder'],
  ],
  [
    ['leftElbow', 'rightElbow'],
    ['leftShoulder', 'rightShoulder'],
  ],
];

/**
 * The model's output (17 × (y, x, score), fractions of the padded square) as Human reports
 * it, before its jitter filter: keypoints with a score above 0, scores rounded to 0.01,
 * positions rounded to frame pixels, then mapped through the padding.
 */
export function decodeMoveNet(
  output: Float32Array,
  width: number,
  height: number,
): { score: number; points: MoveNetPoint[] } {
  const points: MoveNetPoint[] = [];
  BODY_KEYPOINT_NAMES.forEach((part, i) => {
    const score = output[3 * i + 2] as number;
    if (!(score > 0)) return;
    const x = Math.round(width * (output[3 * i + 1] as number));
    const y = Math.round(height * (output[3 * i] as number));
    points.push({ part, score: Math.round(100 * score) / 100, x, y, rawX: 0, rawY: 0 });
  });
  const score = points.reduce((best, p) => Math.max(p.score, best), 0);
  fixBodyParts(points);
  const { padX, padY } = squarePadding(width, height);
  for (const p of points) {
    p.x = (p.x * (width + 2 * padX)) / width - padX;
    p.y = (p.y * (height + 2 * padY)) / height - padY;
    p.rawX = p.x / width;
    p.rawY = p.y / height;
  }
  return { score, points };
}

/** Human's `bodyParts`: the model sometimes swaps left and right, and misplaces legs. */
function fixBodyParts(points: MoveNetPoint[]): void {
  const at = (part: BodyKeypointName) => points.findIndex((p) => p.part === part);
  const swap = (a: number, b: number) => {
    const t = points[a] as MoveNetPoint;
    points[a] = points[b] as MoveNetPoint;
    points[b] = t;
  };
  for (const [leftPart, rightPart] of HORIZONTAL) {
    const l = at(leftPart);
    const r = at(rightPart);
    if (l >= 0 && r >= 0 && (points[l] as MoveNetPoint).x < (points[r] as MoveNetPoint).x)
      swap(l, r);
  }
  for (const [lowerPart, higherPart] of VERTICAL) {
    const lower = at(lowerPart);
    const higher = at(higherPart);
    if (
      lower >= 0 &&
      higher >= 0 &&
      (points[lower] as MoveNetPoint).y < (points[higher] as MoveNetPoint).y
    )
      points.splice(lower, 1);
  }
  for (const [[leftPart, rightPart], [leftToPart, rightToPart]] of RELATIVE) {
    const l = at(leftPart);
    const r = at(rightPart);
    const leftTo = points[at(leftToPart)];
    const rightTo = points[at(rightToPart)];
    if (!leftTo || !rightTo) continue;
    const left = points[l];
    const right = points[r];
    const dl = left ? [Math.abs(leftTo.x - left.x), Math.abs(rightTo.x - left.x)] : [0, 0];
    const dr = right ? [Math.abs(rightTo.x - right.x), Math.abs(leftTo.x - right.x)] : [0, 0];
    if ((dl[0] as number) <= (dl[1] as number) && (dr[0] as number) <= (dr[1] as number)) continue;
    if (l >= 0 && r >= 0) swap(l, r);
    // Human "swaps" with the missing side too, which drops the one present
    else points.splice(Math.max(l, r), 1);
  }
}

/**
 * Human's `jitter` filter, per stream: the keypoint in each slot is held while it moves less
 * than 0.5 % of the frame (both axes), replaced otherwise.
 */
export class JitterFilter {
  #held: MoveNetPoint[] = [];

  apply(points: MoveNetPoint[]): MoveNetPoint[] {
    for (let i = 0; i < points.length; i++) {
      const p = points[i] as MoveNetPoint;
      const held = this.#held[i];
      if (
        held &&
        Math.abs(p.rawX - held.rawX) < MAX_JITTER &&
        Math.abs(p.rawY - held.rawY) < MAX_JITTER
      ) {
        points[i] = held;
      } else {
        this.#held[i] = p;
      }
    }
    return points;
  }

  reset(): void {
    this.#held = [];
  }
}

/** The keypoints in facecast's order (one per name at most). */
export function toBodyKeypoints(points: MoveNetPoint[]): BodyKeypoint[] {
  const byName = new Map(points.map((p) => [p.part, p]));
  const out: BodyKeypoint[] = [];
  for (const name of BODY_KEYPOINT_NAMES) {
    const p = byName.get(name);
    if (p) out.push({ name, x: p.x, y: p.y, score: p.score });
  }
  return out;
}
