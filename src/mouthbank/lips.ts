/**
 * The inner-lip contour of one mouth in image px: `upper` and `lower` each hold n points as
 * (x, y) pairs, in the same order from one corner to the other, the first and last points
 * being the corners (shared by both lips). MediaPipe's mesh gives 11 points a lip.
 */
export interface InnerLips {
  upper: Float32Array;
  lower: Float32Array;
}

/**
 * The inner lips of a mesh: points `upperIndices` / `lowerIndices` of `points`
 * (x, y, … every `stride` floats).
 */
export function innerLipsFromMesh(
  upperIndices: ArrayLike<number>,
  lowerIndices: ArrayLike<number>,
  points: ArrayLike<number>,
  stride: number,
): InnerLips {
  const take = (indices: ArrayLike<number>) => {
    const out = new Float32Array(indices.length * 2);
    for (let k = 0; k < indices.length; k++) {
      const i = (indices[k] as number) * stride;
      out[k * 2] = points[i] as number;
      out[k * 2 + 1] = points[i + 1] as number;
    }
    return out;
  };
  return { upper: take(upperIndices), lower: take(lowerIndices) };
}

/**
 * The mouth's own frame: origin at the first corner, `u` along the corner-to-corner line,
 * `v` perpendicular to it (pointing down the face), both in units of the mouth width.
 */
export interface MouthAxes {
  ox: number;
  oy: number;
  /** Unit vector along the mouth and the one across it (down), px per px. */
  ux: number;
  uy: number;
  vx: number;
  vy: number;
  widthPx: number;
}

export function mouthAxes(lips: InnerLips): MouthAxes {
  const n = lips.upper.length / 2;
  const ox = lips.upper[0] as number;
  const oy = lips.upper[1] as number;
  const ex = (lips.upper[(n - 1) * 2] as number) - ox;
  const ey = (lips.upper[(n - 1) * 2 + 1] as number) - oy;
  const widthPx = Math.max(1e-3, Math.hypot(ex, ey));
  const sign = ex >= 0 ? 1 : -1;
  const ux = ex / widthPx;
  const uy = ey / widthPx;
  // Perpendicular pointing down the image (towards the chin) whichever corner comes first.
  return { ox, oy, ux, uy, vx: -uy * sign, vy: ux * sign, widthPx };
}

/** A contour in mouth units: per point (u, v). */
export function toMouthUnits(contour: Float32Array, axes: MouthAxes): Float32Array {
  const out = new Float32Array(contour.length);
  for (let k = 0; k < contour.length; k += 2) {
    const dx = (contour[k] as number) - axes.ox;
    const dy = (contour[k + 1] as number) - axes.oy;
    out[k] = (dx * axes.ux + dy * axes.uy) / axes.widthPx;
    out[k + 1] = (dx * axes.vx + dy * axes.vy) / axes.widthPx;
  }
  return out;
}

/**
 * The contour's v at position u, linear between its points (a contour in mouth units runs
 * from u ≈ 0 at the first corner to u ≈ 1 at the last); held flat past the corners.
 */
export function profileAt(contour: Float32Array, u: number): number {
  const n = contour.length / 2;
  if (u <= (contour[0] as number)) return contour[1] as number;
  for (let k = 1; k < n; k++) {
    const u1 = contour[k * 2] as number;
    if (u <= u1) {
      const u0 = contour[(k - 1) * 2] as number;
      const v0 = contour[(k - 1) * 2 + 1] as number;
      const t = u1 > u0 ? (u - u0) / (u1 - u0) : 1;
      return v0 + t * ((contour[k * 2 + 1] as number) - v0);
    }
  }
  return contour[(n - 1) * 2 + 1] as number;
}

/** Points of the lip-shape descriptor ({@link lipShape}): gaps at the inner points. */
export function shapeSize(lips: InnerLips): number {
  return lips.upper.length / 2 - 2;
}

/**
 * What the bank is indexed by: the gap between the lips at each inner point, over the mouth
 * width (scale- and rotation-free; 0 for a closed mouth).
 */
export function lipShape(lips: InnerLips): Float32Array {
  const n = lips.upper.length / 2;
  const axes = mouthAxes(lips);
  const out = new Float32Array(n - 2);
  for (let k = 1; k + 1 < n; k++) {
    const dx = (lips.lower[k * 2] as number) - (lips.upper[k * 2] as number);
    const dy = (lips.lower[k * 2 + 1] as number) - (lips.upper[k * 2 + 1] as number);
    out[k - 1] = Math.max(0, dx * axes.vx + dy * axes.vy) / axes.widthPx;
  }
  return out;
}

/** Mean of a lip shape's middle third: how open the mouth is, in mouth widths. */
export function opening(shape: Float32Array): number {
  const a = Math.floor(shape.length / 3);
  const b = Math.max(a + 1, Math.ceil((2 * shape.length) / 3));
  let sum = 0;
  for (let k = a; k < b; k++) sum += shape[k] as number;
  return sum / (b - a);
}
