/**
 * Principal components of a few samples in a high dimension, through the samples' Gram
 * matrix (n × n, n = number of samples) and Jacobi eigen-decomposition.
 */
export interface Components {
  /** Unit vectors, count × dim. */
  vectors: Float64Array[];
  /** Standard deviation along each (same units as the samples). */
  std: number[];
  /** Share of the total variance each explains. */
  share: number[];
}

export function principalComponents(samples: Float64Array[], count: number): Components {
  const n = samples.length;
  const dim = (samples[0] as Float64Array).length;
  const mean = new Float64Array(dim);
  for (const s of samples)
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (s[j] as number) / n;
  const centred = samples.map((s) => s.map((v, j) => v - (mean[j] as number)));
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let sum = 0;
      const x = centred[a] as Float64Array;
      const y = centred[b] as Float64Array;
      for (let j = 0; j < dim; j++) sum += (x[j] as number) * (y[j] as number);
      gram[a * n + b] = sum / (n - 1);
      gram[b * n + a] = sum / (n - 1);
    }
  }
  const { values, vectors } = jacobiEigen(gram, n);
  const order = values.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const out: Components = { vectors: [], std: [], share: [] };
  for (const [value, i] of order.slice(0, count)) {
    if (value <= 1e-12) break;
    const u = new Float64Array(dim);
    for (let a = 0; a < n; a++) {
      const w = vectors[a * n + i] as number;
      const x = centred[a] as Float64Array;
      for (let j = 0; j < dim; j++) u[j] = (u[j] as number) + w * (x[j] as number);
    }
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (u[j] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) u[j] = (u[j] as number) / norm;
    // Deterministic sign: the largest-magnitude entry is positive.
    let big = 0;
    for (let j = 0; j < dim; j++)
      if (Math.abs(u[j] as number) > Math.abs(u[big] as number)) big = j;
    if ((u[big] as number) < 0) for (let j = 0; j < dim; j++) u[j] = -(u[j] as number);
    out.vectors.push(u);
    out.std.push(Math.sqrt(value));
    out.share.push(value / total);
  }
  return out;
}

/** Eigen-decomposition of a symmetric n × n matrix (cyclic Jacobi). Vectors are columns. */
function jacobiEigen(matrix: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q * n + q] as number) - (a[p * n + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i] as number), vectors: v };
}
