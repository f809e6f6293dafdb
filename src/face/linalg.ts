/** Small dense linear algebra for the face fitter (3 × 3 rotations, tiny systems). */
import { FACE_VERTEX_COUNT as N } from './model.ts';

/** Pose during fitting: row-major rotation, scale (px per cm), translation (px). */
export interface PoseState {
  /** Row-major rotation. */
  r: Float64Array;
  s: number;
  tx: number;
  ty: number;
}

function dot(a: number[], b: number[]): number {
  return (
    (a[0] as number) * (b[0] as number) +
    (a[1] as number) * (b[1] as number) +
    (a[2] as number) * (b[2] as number)
  );
}

/** R ← exp([ω]×) · R (small rotation in the camera frame), then re-orthonormalised. */
export function applyRotation(r: Float64Array, wx: number, wy: number, wz: number): void {
  const angle = Math.hypot(wx, wy, wz);
  if (angle < 1e-12) return;
  const kx = wx / angle;
  const ky = wy / angle;
  const kz = wz / angle;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  const e = [
    t * kx * kx + c,
    t * kx * ky - s * kz,
    t * kx * kz + s * ky,
    t * kx * ky + s * kz,
    t * ky * ky + c,
    t * ky * kz - s * kx,
    t * kx * kz - s * ky,
    t * ky * kz + s * kx,
    t * kz * kz + c,
  ];
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let jj = 0; jj < 3; jj++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += (e[i * 3 + k] as number) * (r[k * 3 + jj] as number);
      out[i * 3 + jj] = sum;
    }
  }
  r.set(out);
  orthonormalize(r);
}

/** Gram–Schmidt on the rows of a 3 × 3 matrix; third row = first × second. */
export function orthonormalize(r: Float64Array): void {
  let n = Math.hypot(r[0] as number, r[1] as number, r[2] as number);
  r[0] = (r[0] as number) / n;
  r[1] = (r[1] as number) / n;
  r[2] = (r[2] as number) / n;
  const d =
    (r[0] as number) * (r[3] as number) +
    (r[1] as number) * (r[4] as number) +
    (r[2] as number) * (r[5] as number);
  r[3] = (r[3] as number) - d * (r[0] as number);
  r[4] = (r[4] as number) - d * (r[1] as number);
  r[5] = (r[5] as number) - d * (r[2] as number);
  n = Math.hypot(r[3] as number, r[4] as number, r[5] as number);
  r[3] = (r[3] as number) / n;
  r[4] = (r[4] as number) / n;
  r[5] = (r[5] as number) / n;
  r[6] = (r[1] as number) * (r[5] as number) - (r[2] as number) * (r[4] as number);
  r[7] = (r[2] as number) * (r[3] as number) - (r[0] as number) * (r[5] as number);
  r[8] = (r[0] as number) * (r[4] as number) - (r[1] as number) * (r[3] as number);
}

/** Solves the symmetric positive (semi-)definite system A x = b (Gaussian elimination, pivoting). */
export function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(m[row * n + col] as number) > Math.abs(m[pivot * n + col] as number))
        pivot = row;
    }
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const tmp = m[col * n + k] as number;
        m[col * n + k] = m[pivot * n + k] as number;
        m[pivot * n + k] = tmp;
      }
      const tmp = x[col] as number;
      x[col] = x[pivot] as number;
      x[pivot] = tmp;
    }
    const diag = m[col * n + col] as number;
    if (Math.abs(diag) < 1e-15) continue;
    for (let row = col + 1; row < n; row++) {
      const f = (m[row * n + col] as number) / diag;
      if (f === 0) continue;
      for (let k = col; k < n; k++)
        m[row * n + k] = (m[row * n + k] as number) - f * (m[col * n + k] as number);
      x[row] = (x[row] as number) - f * (x[col] as number);
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    let sum = x[row] as number;
    for (let k = row + 1; k < n; k++) sum -= (m[row * n + k] as number) * (x[k] as number);
    const diag = m[row * n + row] as number;
    x[row] = Math.abs(diag) < 1e-15 ? 0 : sum / diag;
  }
  return x;
}

/**
 * Closed-form start: the least-squares affine camera (2 × 4) from the shape to the
 * landmarks, made the nearest scaled rotation via (A·Aᵀ)^(-1/2)·A.
 */
export function affineInit(
  q: ArrayLike<number>,
  identity: ArrayLike<number>,
  c: ArrayLike<number>,
): PoseState {
  const ata = new Float64Array(16);
  const atx = new Float64Array(4);
  const aty = new Float64Array(4);
  for (let i = 0; i < N; i++) {
    const w = c[i] as number;
    const v = [
      identity[i * 3] as number,
      identity[i * 3 + 1] as number,
      identity[i * 3 + 2] as number,
      1,
    ];
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++)
        ata[a * 4 + b] = (ata[a * 4 + b] as number) + w * (v[a] as number) * (v[b] as number);
      atx[a] = (atx[a] as number) + w * (v[a] as number) * (q[i * 3] as number);
      aty[a] = (aty[a] as number) + w * (v[a] as number) * (q[i * 3 + 1] as number);
    }
  }
  const rowX = solveSymmetric(ata, atx, 4);
  const rowY = solveSymmetric(Float64Array.from(ata), aty, 4);
  // A = [rowX[0..2]; rowY[0..2]]; (A Aᵀ)^(-1/2) A has orthonormal rows.
  const a1 = [rowX[0], rowX[1], rowX[2]] as number[];
  const a2 = [rowY[0], rowY[1], rowY[2]] as number[];
  const p = dot(a1, a1);
  const qq = dot(a1, a2);
  const r = dot(a2, a2);
  // inverse square root of [[p, qq], [qq, r]]
  const tr = p + r;
  const det = Math.max(1e-12, p * r - qq * qq);
  const sdet = Math.sqrt(det);
  const t = Math.sqrt(tr + 2 * sdet);
  // sqrt(M) = (M + sdet I) / t ; inverse of that
  const s00 = (p + sdet) / t;
  const s01 = qq / t;
  const s11 = (r + sdet) / t;
  const sd = s00 * s11 - s01 * s01;
  const i00 = s11 / sd;
  const i01 = -s01 / sd;
  const i11 = s00 / sd;
  const r1 = a1.map((v, k) => i00 * v + i01 * (a2[k] as number));
  const r2 = a1.map((v, k) => i01 * v + i11 * (a2[k] as number));
  const r3 = [
    (r1[1] as number) * (r2[2] as number) - (r1[2] as number) * (r2[1] as number),
    (r1[2] as number) * (r2[0] as number) - (r1[0] as number) * (r2[2] as number),
    (r1[0] as number) * (r2[1] as number) - (r1[1] as number) * (r2[0] as number),
  ];
  const rot = Float64Array.from([...r1, ...r2, ...r3]);
  orthonormalize(rot);
  return { r: rot, s: sdet ** 0.5, tx: rowX[3] as number, ty: rowY[3] as number };
}
