import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import type { PoseState } from './linalg.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from './model.ts';

const N = FACE_VERTEX_COUNT;
const K = BLENDSHAPE_COUNT;
/** Moment sets kept (one per vertex-weighting, e.g. the tracker's two mouth weights). */
const MOMENT_SETS = 4;

/** Moments of one vertex-weighting c (constant per model and weighting). */
interface Moments {
  /** Σ c. */
  c0: number;
  /** Σ c·D_m (T × 3). */
  sum: Float64Array;
  /** Σ c·D_m·D_nᵀ (T × T × 3 × 3), both halves. */
  cross: Float64Array;
  /** The base shape the next three were formed with (undefined: none yet). */
  base: Float32Array | undefined;
  /** Σ c·base (3). */
  baseSum: Float64Array;
  /** Σ c·base·baseᵀ (3 × 3). */
  baseOuter: Float64Array;
  /** Σ c·base·D_mᵀ (T × 3 × 3). */
  baseCross: Float64Array;
}

/**
 * The Gauss–Newton normal equations of the face fit (see FaceFitter), formed from moments
 * instead of a sum over the 468 vertices per step. The fitted shape is linear in its
 * coefficients θ (the 52 blendshape weights, then the identity coefficients):
 * v_i = base_i + Σ_m θ_m·D_m,i. Every entry of JᵀCJ and JᵀCe is a bilinear form of the
 * rotation in a few 3 × 3 moments: Σc·D_m·D_nᵀ (constant per model and vertex weighting,
 * formed once), Σc·base·D_mᵀ (once per neutral shape), Σc·q·D_mᵀ (once per set of landmarks
 * q). A step then costs O(T²) instead of O(N·T²) and gives the same numbers up to rounding.
 *
 * Columns: 6 pose unknowns (rotation increment in the camera frame, scale, translation),
 * then the T = 52 + identityCount shape coefficients.
 */
export class NormalEquations {
  /** Shape columns: 52 blendshapes, then the identity basis. */
  readonly columns: number;
  readonly #model: FaceModel;
  /** Per vertex, the columns whose delta there is non-zero. */
  readonly #vertexColumns: Int32Array[];
  readonly #sets = new Map<number, Moments>();
  #m: Moments | undefined;
  /** Σ c·q̃·D_mᵀ (T × 2 × 3) of the current landmarks q̃ = (x, y). */
  readonly #target: Float64Array;
  /** Σ c·q̃·baseᵀ (2 × 3) and Σ c·q̃ (2). */
  readonly #targetBase = new Float64Array(6);
  readonly #targetSum = new Float64Array(2);
  /** Σ c·v·D_mᵀ at the current coefficients (T × 3 × 3). */
  readonly #s: Float64Array;
  readonly #needed: Int32Array;
  readonly #nonZero: Int32Array;
  readonly #activeList: Int32Array;

  constructor(model: FaceModel) {
    this.#model = model;
    const t = K + model.identityCount;
    this.columns = t;
    this.#target = new Float64Array(t * 6);
    this.#s = new Float64Array(t * 9);
    this.#needed = new Int32Array(t);
    this.#nonZero = new Int32Array(t);
    this.#activeList = new Int32Array(t);
    this.#vertexColumns = [];
    for (let i = 0; i < N; i++) {
      const list: number[] = [];
      for (let m = 0; m < t; m++) {
        const d = this.#delta(m);
        const o = this.#offset(m, i);
        if ((d[o] as number) !== 0 || (d[o + 1] as number) !== 0 || (d[o + 2] as number) !== 0)
          list.push(m);
      }
      this.#vertexColumns.push(Int32Array.from(list));
    }
  }

  /**
   * Sets up one fit: the vertex weighting `c` (its moments are kept under `key`: pass the same
   * key only for the same weights), the base shape (468 × 3 cm) and the landmarks (px).
   */
  begin(c: Float32Array, key: number, base: Float32Array, landmarks: ArrayLike<number>): void {
    let m = this.#sets.get(key);
    if (!m) {
      if (this.#sets.size >= MOMENT_SETS) this.#sets.clear();
      m = this.#moments(c);
      this.#sets.set(key, m);
    }
    this.#m = m;
    if (!m.base || !sameValues(m.base, base)) this.#baseMoments(m, c, base);
    this.#targetMoments(c, base, landmarks);
  }

  /**
   * Writes the normal equations at coefficients `theta` (T) and `pose`: `h` (P × P, P = 6 +
   * T, both halves) = JᵀCJ and `g` (P) = JᵀC·(landmarks − projection). Columns not `active`
   * (held shapes, identity when not fitted) are left 0; inactive coefficients still shape the
   * face.
   */
  assemble(
    theta: Float64Array,
    pose: PoseState,
    active: Uint8Array,
    h: Float64Array,
    g: Float64Array,
  ): void {
    const m = this.#m;
    if (!m) throw new Error('NormalEquations.begin() first');
    const t = this.columns;
    const p = 6 + t;
    h.fill(0);
    g.fill(0);
    const nonZero = this.#nonZero;
    const needed = this.#needed;
    const activeList = this.#activeList;
    let nz = 0;
    let nn = 0;
    let na = 0;
    for (let k = 0; k < t; k++) {
      const isActive = active[k] === 1;
      if (isActive) activeList[na++] = k;
      if ((theta[k] as number) !== 0) nonZero[nz++] = k;
      if (isActive || (theta[k] as number) !== 0) needed[nn++] = k;
    }
    this.#shapeCross(m, theta, nonZero, nz, needed, nn);
    // Moments of the current shape: Σc·v, Σc·v·vᵀ, Σc·q̃·vᵀ.
    const v1 = Float64Array.from(m.baseSum);
    const v2 = Float64Array.from(m.baseOuter);
    const w = Float64Array.from(this.#targetBase);
    const s3 = this.#s;
    for (let a = 0; a < nz; a++) {
      const k = nonZero[a] as number;
      const th = theta[k] as number;
      for (let x = 0; x < 3; x++) v1[x] = (v1[x] as number) + th * (m.sum[k * 3 + x] as number);
      for (let x = 0; x < 3; x++) {
        for (let y = 0; y < 3; y++) {
          const gk = m.baseCross[k * 9 + x * 3 + y] as number;
          const sk = s3[k * 9 + y * 3 + x] as number;
          v2[x * 3 + y] = (v2[x * 3 + y] as number) + th * (gk + sk);
        }
      }
      for (let e = 0; e < 6; e++)
        w[e] = (w[e] as number) + th * (this.#target[k * 6 + e] as number);
    }
    const r = pose.r;
    const s = pose.s;
    // In the camera frame y = R·v: the 4 × 4 moment of [y; 1].
    const my = rotatedMoment(r, v1, v2, m.c0);
    const ax = poseRowsX(s);
    const ay = poseRowsY(s);
    // Pose × pose.
    for (let a = 0; a < 6; a++) {
      for (let b = a; b < 6; b++) {
        const value = bilinear(ax, a, my, ax, b) + bilinear(ay, a, my, ay, b);
        h[a * p + b] = value;
        h[b * p + a] = value;
      }
    }
    // Pose gradient: Σc·ex·[y; 1] and Σc·ey·[y; 1].
    const ex = new Float64Array(4);
    const ey = new Float64Array(4);
    for (let a = 0; a < 3; a++) {
      ex[a] = rowDot(r, a, w, 0);
      ey[a] = rowDot(r, a, w, 3);
    }
    ex[3] = this.#targetSum[0] as number;
    ey[3] = this.#targetSum[1] as number;
    for (let a = 0; a < 4; a++) {
      ex[a] = (ex[a] as number) - s * (my[a] as number) - pose.tx * (my[12 + a] as number);
      ey[a] = (ey[a] as number) - s * (my[4 + a] as number) - pose.ty * (my[12 + a] as number);
    }
    for (let a = 0; a < 6; a++) g[a] = dot4(ax, a, ex) + dot4(ay, a, ey);
    this.#shapeColumns(m, pose, ax, ay, activeList, na, h, g);
  }

  /** Pose × shape, shape gradient and shape × shape for the active columns. */
  #shapeColumns(
    m: Moments,
    pose: PoseState,
    ax: Float64Array,
    ay: Float64Array,
    activeList: Int32Array,
    na: number,
    h: Float64Array,
    g: Float64Array,
  ): void {
    const p = 6 + this.columns;
    const r = pose.r;
    const s = pose.s;
    const u = new Float64Array(4);
    const v = new Float64Array(4);
    const w0 = new Float64Array(3);
    const w1 = new Float64Array(3);
    for (let a = 0; a < na; a++) {
      const k = activeList[a] as number;
      const col = 6 + k;
      const sk = k * 9;
      // w0 = S_k·R0ᵀ, w1 = S_k·R1ᵀ; u = [R·w0; D̄_k·R0], v = [R·w1; D̄_k·R1] where
      // u_a = Σc·[y; 1]_a·(R0·D_k) and v_a = Σc·[y; 1]_a·(R1·D_k).
      for (let x = 0; x < 3; x++) {
        let s0 = 0;
        let s1 = 0;
        for (let y = 0; y < 3; y++) {
          const value = this.#s[sk + x * 3 + y] as number;
          s0 += value * (r[y] as number);
          s1 += value * (r[3 + y] as number);
        }
        w0[x] = s0;
        w1[x] = s1;
      }
      for (let x = 0; x < 3; x++) {
        u[x] = rowDot(r, x, w0, 0);
        v[x] = rowDot(r, x, w1, 0);
      }
      u[3] = rowDot(r, 0, m.sum, k * 3);
      v[3] = rowDot(r, 1, m.sum, k * 3);
      for (let b = 0; b < 6; b++) {
        const value = s * (dot4(ax, b, u) + dot4(ay, b, v));
        h[b * p + col] = value;
        h[col * p + b] = value;
      }
      const t0 = this.#target;
      g[col] =
        s *
        (rowDot(r, 0, t0, k * 6) +
          rowDot(r, 1, t0, k * 6 + 3) -
          s * ((u[0] as number) + (v[1] as number)) -
          pose.tx * (u[3] as number) -
          pose.ty * (v[3] as number));
    }
    // Shape × shape: s²·⟨R0ᵀR0 + R1ᵀR1, Σc·D_k·D_lᵀ⟩.
    const pm = new Float64Array(9);
    for (let x = 0; x < 3; x++) {
      for (let y = 0; y < 3; y++)
        pm[x * 3 + y] =
          s *
          s *
          ((r[x] as number) * (r[y] as number) + (r[3 + x] as number) * (r[3 + y] as number));
    }
    const t = this.columns;
    for (let a = 0; a < na; a++) {
      const k = activeList[a] as number;
      for (let b = a; b < na; b++) {
        const l = activeList[b] as number;
        const o = (k * t + l) * 9;
        let value = 0;
        for (let e = 0; e < 9; e++) value += (pm[e] as number) * (m.cross[o + e] as number);
        h[(6 + k) * p + 6 + l] = value;
        h[(6 + l) * p + 6 + k] = value;
      }
    }
  }

  /** S_k = Σc·v·D_kᵀ = Σc·base·D_kᵀ + Σ_n θ_n·Σc·D_n·D_kᵀ for the needed columns k. */
  #shapeCross(
    m: Moments,
    theta: Float64Array,
    nonZero: Int32Array,
    nz: number,
    needed: Int32Array,
    nn: number,
  ): void {
    const t = this.columns;
    const out = this.#s;
    for (let a = 0; a < nn; a++) {
      const k = needed[a] as number;
      const o = k * 9;
      for (let e = 0; e < 9; e++) out[o + e] = m.baseCross[o + e] as number;
      for (let b = 0; b < nz; b++) {
        const n = nonZero[b] as number;
        const th = theta[n] as number;
        const c = (n * t + k) * 9;
        for (let e = 0; e < 9; e++)
          out[o + e] = (out[o + e] as number) + th * (m.cross[c + e] as number);
      }
    }
  }

  #delta(m: number): Float32Array {
    return m < K ? this.#model.basis : this.#model.identityBasis;
  }

  #offset(m: number, i: number): number {
    return m < K ? (m * N + i) * 3 : ((m - K) * N + i) * 3;
  }

  #moments(c: Float32Array): Moments {
    const t = this.columns;
    const sum = new Float64Array(t * 3);
    const cross = new Float64Array(t * t * 9);
    let c0 = 0;
    for (let i = 0; i < N; i++) {
      const wi = c[i] as number;
      if (wi === 0) continue;
      c0 += wi;
      const list = this.#vertexColumns[i] as Int32Array;
      for (let a = 0; a < list.length; a++) {
        const k = list[a] as number;
        const dk = this.#delta(k);
        const ok = this.#offset(k, i);
        for (let x = 0; x < 3; x++)
          sum[k * 3 + x] = (sum[k * 3 + x] as number) + wi * (dk[ok + x] as number);
        for (let b = a; b < list.length; b++) {
          const l = list[b] as number;
          const dl = this.#delta(l);
          const ol = this.#offset(l, i);
          const o = (k * t + l) * 9;
          for (let x = 0; x < 3; x++) {
            const cx = wi * (dk[ok + x] as number);
            for (let y = 0; y < 3; y++)
              cross[o + x * 3 + y] = (cross[o + x * 3 + y] as number) + cx * (dl[ol + y] as number);
          }
        }
      }
    }
    for (let k = 0; k < t; k++) {
      for (let l = k + 1; l < t; l++) {
        for (let x = 0; x < 3; x++) {
          for (let y = 0; y < 3; y++)
            cross[(l * t + k) * 9 + y * 3 + x] = cross[(k * t + l) * 9 + x * 3 + y] as number;
        }
      }
    }
    return {
      c0,
      sum,
      cross,
      base: undefined,
      baseSum: new Float64Array(3),
      baseOuter: new Float64Array(9),
      baseCross: new Float64Array(t * 9),
    };
  }

  #baseMoments(m: Moments, c: Float32Array, base: Float32Array): void {
    m.baseSum.fill(0);
    m.baseOuter.fill(0);
    m.baseCross.fill(0);
    for (let i = 0; i < N; i++) {
      const wi = c[i] as number;
      if (wi === 0) continue;
      const b = [base[i * 3] as number, base[i * 3 + 1] as number, base[i * 3 + 2] as number];
      for (let x = 0; x < 3; x++) {
        const cb = wi * (b[x] as number);
        m.baseSum[x] = (m.baseSum[x] as number) + cb;
        for (let y = 0; y < 3; y++)
          m.baseOuter[x * 3 + y] = (m.baseOuter[x * 3 + y] as number) + cb * (b[y] as number);
      }
      const list = this.#vertexColumns[i] as Int32Array;
      for (let a = 0; a < list.length; a++) {
        const k = list[a] as number;
        const dk = this.#delta(k);
        const ok = this.#offset(k, i);
        for (let x = 0; x < 3; x++) {
          const cb = wi * (b[x] as number);
          for (let y = 0; y < 3; y++)
            m.baseCross[k * 9 + x * 3 + y] =
              (m.baseCross[k * 9 + x * 3 + y] as number) + cb * (dk[ok + y] as number);
        }
      }
    }
    m.base = Float32Array.from(base);
  }

  #targetMoments(c: Float32Array, base: ArrayLike<number>, q: ArrayLike<number>): void {
    const target = this.#target;
    const tb = this.#targetBase;
    const ts = this.#targetSum;
    target.fill(0);
    tb.fill(0);
    ts.fill(0);
    for (let i = 0; i < N; i++) {
      const wi = c[i] as number;
      if (wi === 0) continue;
      const qx = wi * (q[i * 3] as number);
      const qy = wi * (q[i * 3 + 1] as number);
      ts[0] = (ts[0] as number) + qx;
      ts[1] = (ts[1] as number) + qy;
      for (let y = 0; y < 3; y++) {
        const by = base[i * 3 + y] as number;
        tb[y] = (tb[y] as number) + qx * by;
        tb[3 + y] = (tb[3 + y] as number) + qy * by;
      }
      const list = this.#vertexColumns[i] as Int32Array;
      for (let a = 0; a < list.length; a++) {
        const k = list[a] as number;
        const dk = this.#delta(k);
        const ok = this.#offset(k, i);
        for (let y = 0; y < 3; y++) {
          const d = dk[ok + y] as number;
          target[k * 6 + y] = (target[k * 6 + y] as number) + qx * d;
          target[k * 6 + 3 + y] = (target[k * 6 + 3 + y] as number) + qy * d;
        }
      }
    }
  }
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return false;
  return true;
}

/** R's row `row` · x[o..o+2]. */
function rowDot(r: Float64Array, row: number, x: Float64Array, o: number): number {
  return (
    (r[row * 3] as number) * (x[o] as number) +
    (r[row * 3 + 1] as number) * (x[o + 1] as number) +
    (r[row * 3 + 2] as number) * (x[o + 2] as number)
  );
}

function dot4(a: Float64Array, row: number, x: Float64Array): number {
  const o = row * 4;
  return (
    (a[o] as number) * (x[0] as number) +
    (a[o + 1] as number) * (x[1] as number) +
    (a[o + 2] as number) * (x[2] as number) +
    (a[o + 3] as number) * (x[3] as number)
  );
}

/** a[row ra] · M · b[row rb] for 4-wide rows and a 4 × 4 M. */
function bilinear(
  a: Float64Array,
  ra: number,
  m: Float64Array,
  b: Float64Array,
  rb: number,
): number {
  let sum = 0;
  for (let x = 0; x < 4; x++) {
    const ax = a[ra * 4 + x] as number;
    if (ax === 0) continue;
    for (let y = 0; y < 4; y++) sum += ax * (m[x * 4 + y] as number) * (b[rb * 4 + y] as number);
  }
  return sum;
}

/** [[R·V2·Rᵀ, R·V1], [(R·V1)ᵀ, c0]]: Σc·[y; 1]·[y; 1]ᵀ with y = R·v. */
function rotatedMoment(
  r: Float64Array,
  v1: Float64Array,
  v2: Float64Array,
  c0: number,
): Float64Array {
  const rv2 = new Float64Array(9);
  for (let x = 0; x < 3; x++) {
    for (let y = 0; y < 3; y++) {
      let sum = 0;
      for (let z = 0; z < 3; z++) sum += (r[x * 3 + z] as number) * (v2[z * 3 + y] as number);
      rv2[x * 3 + y] = sum;
    }
  }
  const out = new Float64Array(16);
  for (let x = 0; x < 3; x++) {
    for (let y = 0; y < 3; y++) out[x * 4 + y] = rowDot(r, y, rv2, x * 3);
    const y1 = rowDot(r, x, v1, 0);
    out[x * 4 + 3] = y1;
    out[12 + x] = y1;
  }
  out[15] = c0;
  return out;
}

/**
 * x-rows of the pose Jacobian as linear maps of [y; 1] (6 × 4): [0, s·y2, −s·y1, y0, 1, 0]
 * (rotation increment ω, scale, translation x, translation y).
 */
function poseRowsX(s: number): Float64Array {
  const a = new Float64Array(24);
  a[1 * 4 + 2] = s;
  a[2 * 4 + 1] = -s;
  a[3 * 4 + 0] = 1;
  a[4 * 4 + 3] = 1;
  return a;
}

/** y-rows of the pose Jacobian: [−s·y2, 0, s·y0, y1, 0, 1]. */
function poseRowsY(s: number): Float64Array {
  const a = new Float64Array(24);
  a[0 * 4 + 2] = -s;
  a[2 * 4 + 0] = s;
  a[3 * 4 + 1] = 1;
  a[5 * 4 + 3] = 1;
  return a;
}
