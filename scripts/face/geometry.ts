/** Geometry helpers on the neutral mesh: masks around the lips, seam, sides; lip closing. */
import { LIPS_LOWER_INNER, LIPS_UPPER_INNER, polylineYAt, type SetName } from './regions.ts';

export type V3 = [number, number, number];
const VERTICES = 468;

/** Geometry helpers shared by the basis and the lip closing of the neutral. */
export function meshGeometry(neutral: Float64Array, sets: Record<SetName, number[]>) {
  const p = (i: number): V3 => [
    neutral[i * 3] as number,
    neutral[i * 3 + 1] as number,
    neutral[i * 3 + 2] as number,
  ];
  const all = Array.from({ length: VERTICES }, (_, i) => i);
  const dist = (a: V3, b: V3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  const nearest = (i: number, set: readonly number[]) => {
    let best = Number.POSITIVE_INFINITY;
    for (const j of set) best = Math.min(best, dist(p(i), p(j)));
    return best;
  };
  const gauss = (d: number, sigma: number) => Math.exp(-((d / sigma) ** 2));
  const smoothstep = (e0: number, e1: number, x: number) => {
    const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
    return t * t * (3 - 2 * t);
  };
  const xy = (i: number): [number, number] => [p(i)[0], p(i)[1]];
  // Front surface only: the mesh's ears and temples (z > 1 cm) never take part in the
  // expressions below except through the jaw.
  const front = (i: number) => 1 - smoothstep(-1, 1.5, p(i)[2]);

  // ---- Mouth geometry -------------------------------------------------------------------
  const seamUpper = LIPS_UPPER_INNER.map(xy);
  const seamLower = LIPS_LOWER_INNER.map(xy);
  const halfWidth = (Math.abs(p(291)[0]) + Math.abs(p(61)[0])) / 2;
  const seamY = (x: number) => {
    const cx = Math.max(-halfWidth, Math.min(halfWidth, x));
    return (polylineYAt(seamUpper, cx) + polylineYAt(seamLower, cx)) / 2;
  };
  const upperSet = new Set(sets.lipsUpper);
  const lowerSet = new Set(sets.lipsLower);
  const lipSet = new Set(sets.lips);
  const corners = new Set([61, 291, 78, 308]);
  /** 1 on the red of the lips, Gaussian fall-off (sigma, cm) into the skin around them. */
  const lipMask = (i: number, sigma: number) =>
    lipSet.has(i) ? 1 : gauss(nearest(i, sets.lips), sigma) * front(i);
  const upperMask = (i: number, sigma: number) => {
    if (upperSet.has(i)) return corners.has(i) ? 0.5 : 1;
    if (lipSet.has(i) || p(i)[1] > seamY(p(i)[0])) return 0;
    return gauss(nearest(i, sets.lipsUpper), sigma) * front(i);
  };
  const lowerMask = (i: number, sigma: number) => {
    if (lowerSet.has(i)) return corners.has(i) ? 0.5 : 1;
    if (lipSet.has(i) || p(i)[1] < seamY(p(i)[0])) return 0;
    return gauss(nearest(i, sets.lipsLower), sigma) * front(i);
  };
  /** Lip-corner taper: 1 at the middle of the mouth, `1 − k` at the corners. */
  const taper = (x: number, k: number, power = 4) =>
    1 - k * Math.min(1, Math.abs(x) / halfWidth) ** power;
  /** Smooth side selector: 1 on the subject's left (+x), 0 on the right. */
  const leftSide = (x: number) => smoothstep(-0.6, 0.9, x);
  const rightSide = (x: number) => smoothstep(-0.6, 0.9, -x);

  return {
    p,
    all,
    dist,
    nearest,
    gauss,
    smoothstep,
    xy,
    front,
    seamY,
    halfWidth,
    upperSet,
    lowerSet,
    lipSet,
    corners,
    lipMask,
    upperMask,
    lowerMask,
    taper,
    leftSide,
    rightSide,
  };
}

/**
 * MediaPipe's canonical mesh has parted lips (5.5 mm between landmarks 13 and 14); facecast's
 * neutral has them closed, so that all-zero weights mean a closed mouth, as in ARKit. Each
 * lip moves towards the seam by `fraction / 2` of the local gap, with the skin around it
 * following (Gaussian fall-off, 4 mm).
 */
export function closeLips(
  neutral: Float64Array,
  sets: Record<SetName, number[]>,
  fraction: number,
): Float64Array {
  const g = meshGeometry(neutral, sets);
  const upper = LIPS_UPPER_INNER.map(g.xy);
  const lower = LIPS_LOWER_INNER.map(g.xy);
  const out = Float64Array.from(neutral);
  for (const i of g.all) {
    const x = Math.max(-g.halfWidth, Math.min(g.halfWidth, g.p(i)[0]));
    const gap = Math.max(0, polylineYAt(lower, x) - polylineYAt(upper, x));
    const shift = (gap * fraction) / 2;
    const down = g.upperMask(i, 0.4);
    const up = g.lowerMask(i, 0.4);
    out[i * 3 + 1] = (out[i * 3 + 1] as number) + shift * down - shift * up;
  }
  return out;
}
