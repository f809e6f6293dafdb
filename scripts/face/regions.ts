/**
 * Named vertex sets of the 468-vertex MediaPipe face mesh. The contour lists are MediaPipe's
 * published landmark connections (face_mesh_connections: FACEMESH_LIPS, _LEFT_EYE, …),
 * written here as ordered polylines. "Left" is the subject's left (image right on a frontal
 * photo), as in ARKit's blendshape names.
 *
 * The derived sets (lip area, upper/lower lip) are computed from the neutral geometry by
 * {@link deriveSets}.
 */

/** Polyline from the right mouth corner (61) to the left one (291), along the upper lip's outer edge. */
export const LIPS_UPPER_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291];
export const LIPS_LOWER_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291];
/** Inner lip edges, from the inner right corner (78) to the inner left one (308). */
export const LIPS_UPPER_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
export const LIPS_LOWER_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];

/** Eye openings: corners first (outer, inner), lid polylines from the outer to the inner corner. */
export const RIGHT_EYE_UPPER = [33, 246, 161, 160, 159, 158, 157, 173, 133];
export const RIGHT_EYE_LOWER = [33, 7, 163, 144, 145, 153, 154, 155, 133];
export const LEFT_EYE_UPPER = [263, 466, 388, 387, 386, 385, 384, 398, 362];
export const LEFT_EYE_LOWER = [263, 249, 390, 373, 374, 380, 381, 382, 362];

/** Brows from the outer to the inner end: lower edge, then upper edge. */
export const RIGHT_BROW_LOWER = [46, 53, 52, 65, 55];
export const RIGHT_BROW_UPPER = [70, 63, 105, 66, 107];
export const LEFT_BROW_LOWER = [276, 283, 282, 295, 285];
export const LEFT_BROW_UPPER = [300, 293, 334, 296, 336];

/** Face outline, clockwise on a frontal image starting at the top of the forehead (10). */
export const FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
  176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];

/** Nose: bridge to tip, and the alae (wings) of each side. */
export const NOSE_BRIDGE = [168, 6, 197, 195, 5, 4, 1];
export const NOSE_RIGHT_ALA = [98, 64, 48, 115, 129, 209];
export const NOSE_LEFT_ALA = [327, 294, 278, 344, 358, 429];

/** A closed loop: polyline `a` forwards, then `b` backwards without repeating the ends. */
export function loop(a: readonly number[], b: readonly number[]): number[] {
  return [...a, ...b.slice(1, -1).reverse()];
}

export type SetName =
  | 'lipsOuter'
  | 'lipsInner'
  | 'lipsUpperOuter'
  | 'lipsLowerOuter'
  | 'lipsUpperInner'
  | 'lipsLowerInner'
  | 'lipsUpper'
  | 'lipsLower'
  | 'lips'
  | 'leftEye'
  | 'rightEye'
  | 'leftEyeUpper'
  | 'leftEyeLower'
  | 'rightEyeUpper'
  | 'rightEyeLower'
  | 'leftBrow'
  | 'rightBrow'
  | 'faceOval'
  | 'noseBridge'
  | 'noseLeftAla'
  | 'noseRightAla';

/** Point-in-polygon (even–odd) on x/y. */
export function insidePolygon(x: number, y: number, poly: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as [number, number];
    const [xj, yj] = poly[j] as [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Linear interpolation of a polyline's y at x (polyline sorted by x either way). */
export function polylineYAt(points: [number, number][], x: number): number {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const first = sorted[0] as [number, number];
  const last = sorted[sorted.length - 1] as [number, number];
  if (x <= first[0]) return first[1];
  if (x >= last[0]) return last[1];
  for (let i = 1; i < sorted.length; i++) {
    const [x1, y1] = sorted[i] as [number, number];
    const [x0, y0] = sorted[i - 1] as [number, number];
    if (x <= x1) return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return last[1];
}

/**
 * All named sets. `lips` holds every vertex inside the outer lip contour (the red of the
 * lips, contours included); `lipsUpper`/`lipsLower` split it at the lip seam (the corners,
 * where both edges meet, go to both).
 *
 * @param positions 468 × 3 in the model frame (x right, y down).
 */
export function deriveSets(positions: ArrayLike<number>): Record<SetName, number[]> {
  const xy = (i: number): [number, number] => [
    positions[i * 3] as number,
    positions[i * 3 + 1] as number,
  ];
  const outer = loop(LIPS_UPPER_OUTER, LIPS_LOWER_OUTER);
  const outerPoly = outer.map(xy);
  const seamUpper = LIPS_UPPER_INNER.map(xy);
  const seamLower = LIPS_LOWER_INNER.map(xy);
  const lips = new Set<number>(outer);
  for (const i of [...LIPS_UPPER_INNER, ...LIPS_LOWER_INNER]) lips.add(i);
  for (let i = 0; i < positions.length / 3; i++) {
    const [x, y] = xy(i);
    if (insidePolygon(x, y, outerPoly)) lips.add(i);
  }
  const upper: number[] = [];
  const lower: number[] = [];
  const corners = new Set([61, 291, 78, 308]);
  for (const i of [...lips].sort((a, b) => a - b)) {
    if (corners.has(i)) {
      upper.push(i);
      lower.push(i);
      continue;
    }
    if (LIPS_UPPER_INNER.includes(i) || LIPS_UPPER_OUTER.includes(i)) {
      upper.push(i);
      continue;
    }
    if (LIPS_LOWER_INNER.includes(i) || LIPS_LOWER_OUTER.includes(i)) {
      lower.push(i);
      continue;
    }
    const [x, y] = xy(i);
    const seam = (polylineYAt(seamUpper, x) + polylineYAt(seamLower, x)) / 2;
    (y < seam ? upper : lower).push(i);
  }
  return {
    lipsOuter: outer,
    lipsInner: loop(LIPS_UPPER_INNER, LIPS_LOWER_INNER),
    lipsUpperOuter: LIPS_UPPER_OUTER,
    lipsLowerOuter: LIPS_LOWER_OUTER,
    lipsUpperInner: LIPS_UPPER_INNER,
    lipsLowerInner: LIPS_LOWER_INNER,
    lipsUpper: upper,
    lipsLower: lower,
    lips: [...lips].sort((a, b) => a - b),
    leftEye: loop(LEFT_EYE_UPPER, LEFT_EYE_LOWER),
    rightEye: loop(RIGHT_EYE_UPPER, RIGHT_EYE_LOWER),
    leftEyeUpper: LEFT_EYE_UPPER,
    leftEyeLower: LEFT_EYE_LOWER,
    rightEyeUpper: RIGHT_EYE_UPPER,
    rightEyeLower: RIGHT_EYE_LOWER,
    leftBrow: [...LEFT_BROW_LOWER, ...LEFT_BROW_UPPER],
    rightBrow: [...RIGHT_BROW_LOWER, ...RIGHT_BROW_UPPER],
    faceOval: FACE_OVAL,
    noseBridge: NOSE_BRIDGE,
    noseLeftAla: NOSE_LEFT_ALA,
    noseRightAla: NOSE_RIGHT_ALA,
  };
}
