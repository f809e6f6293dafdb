/**
 * Box-constrained quadratic programme: minimise ½ xᵀ M x − gᵀ x subject to lo ≤ x ≤ hi
 * (bounds may be infinite), with some variables held fixed. M must be symmetric positive definite (a ridge term makes it
 * so). An active-set method in the style of Lawson–Hanson NNLS, generalised to two bounds:
 * exact in a finite number of steps, unlike projected Gauss–Seidel, which crawls when
 * blendshapes are strongly correlated.
 */
export class BoxQp {
  readonly #n: number;
  readonly #state: Int8Array;
  readonly #z: Float64Array;
  readonly #a: Float64Array;
  readonly #b: Float64Array;
  readonly #free: Int32Array;

  constructor(n: number) {
    this.#n = n;
    this.#state = new Int8Array(n);
    this.#z = new Float64Array(n);
    this.#a = new Float64Array(n * n);
    this.#b = new Float64Array(n);
    this.#free = new Int32Array(n);
  }

  /**
   * Solves in place: `x` holds the start (clamped to the box) and receives the solution.
   * `fixed[k]` true keeps `x[k]` as given. Returns the number of outer iterations.
   */
  solve(
    m: Float64Array,
    g: Float64Array,
    x: Float64Array,
    lo: Float64Array,
    hi: Float64Array,
    fixed?: Uint8Array,
  ): number {
    const n = this.#n;
    const state = this.#state; // 0 free, 1 at lower, 2 at upper, 3 fixed
    for (let k = 0; k < n; k++) {
      if (fixed?.[k]) {
        state[k] = 3;
        continue;
      }
      const v = Math.min(hi[k] as number, Math.max(lo[k] as number, x[k] as number));
      x[k] = v;
      state[k] = v <= (lo[k] as number) ? 1 : v >= (hi[k] as number) ? 2 : 0;
    }
    let iterations = 0;
    for (; iterations < 4 * n + 10; iterations++) {
      this.#feasibleSubspaceSolve(m, g, x, lo, hi);
      // KKT check on variables at a bound: free the one that most wants to move inwards.
      let worst = -1;
      let worstViolation = 1e-9;
      for (let k = 0; k < n; k++) {
        const s = state[k] as number;
        if (s !== 1 && s !== 2) continue;
        let grad = -(g[k] as number);
        for (let l = 0; l < n; l++) grad += (m[k * n + l] as number) * (x[l] as number);
        const violation = s === 1 ? -grad : grad;
        if (violation > worstViolation) {
          worstViolation = violation;
          worst = k;
        }
      }
      if (worst < 0) break;
      state[worst] = 0;
    }
    return iterations;
  }

  /** Minimises over the free variables, stepping back to the box and binding variables that hit it. */
  #feasibleSubspaceSolve(
    m: Float64Array,
    g: Float64Array,
    x: Float64Array,
    lo: Float64Array,
    hi: Float64Array,
  ): void {
    const n = this.#n;
    const state = this.#state;
    const z = this.#z;
    for (let guard = 0; guard < n + 1; guard++) {
      let count = 0;
      for (let k = 0; k < n; k++) if (state[k] === 0) this.#free[count++] = k;
      if (count === 0) return;
      // Solve M_FF z_F = g_F − M_F,B x_B.
      const a = this.#a;
      const b = this.#b;
      for (let i = 0; i < count; i++) {
        const k = this.#free[i] as number;
        let rhs = g[k] as number;
        for (let l = 0; l < n; l++)
          if (state[l] !== 0) rhs -= (m[k * n + l] as number) * (x[l] as number);
        b[i] = rhs;
        for (let j = 0; j < count; j++)
          a[i * count + j] = m[k * n + (this.#free[j] as number)] as number;
      }
      cholSolve(a, b, count);
      let alpha = 1;
      for (let i = 0; i < count; i++) {
        const k = this.#free[i] as number;
        const target = b[i] as number;
        z[k] = target;
        const current = x[k] as number;
        const low = lo[k] as number;
        const high = hi[k] as number;
        if (target < low) alpha = Math.min(alpha, (current - low) / (current - target));
        else if (target > high) alpha = Math.min(alpha, (high - current) / (target - current));
      }
      for (let i = 0; i < count; i++) {
        const k = this.#free[i] as number;
        x[k] = (x[k] as number) + alpha * ((z[k] as number) - (x[k] as number));
      }
      if (alpha >= 1) return;
      for (let i = 0; i < count; i++) {
        const k = this.#free[i] as number;
        const v = x[k] as number;
        if (v <= (lo[k] as number) + 1e-12) {
          x[k] = lo[k] as number;
          state[k] = 1;
        } else if (v >= (hi[k] as number) - 1e-12) {
          x[k] = hi[k] as number;
          state[k] = 2;
        }
      }
    }
  }
}

/** Cholesky solve of the n × n SPD system in `a` (overwritten) with right-hand side `b` (→ solution). */
function cholSolve(a: Float64Array, b: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (a[j * n + k] as number) ** 2;
    d = Math.sqrt(Math.max(d, 1e-18));
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (a[i * n + k] as number) * (a[j * n + k] as number);
      a[i * n + j] = s / d;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (a[i * n + k] as number) * (b[k] as number);
    b[i] = s / (a[i * n + i] as number);
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let k = i + 1; k < n; k++) s -= (a[k * n + i] as number) * (b[k] as number);
    b[i] = s / (a[i * n + i] as number);
  }
}
