import { BLENDSHAPE_INDEX } from '../controls/index.ts';

const B = BLENDSHAPE_INDEX;

/**
 * How far apart the lips are, from ARKit weights in a row (ARKit order, `stride` values per
 * frame): the jaw's opening not cancelled by mouthClose, plus the lips' own parting. 0 means
 * sealed lips. Used to check that bilabials close the mouth.
 */
export function lipAperture(row: ArrayLike<number>, offset = 0): number {
  const jaw = row[offset + B.jawOpen] as number;
  const close = row[offset + B.mouthClose] as number;
  const lower =
    ((row[offset + B.mouthLowerDownLeft] as number) +
      (row[offset + B.mouthLowerDownRight] as number)) /
    2;
  const upper =
    ((row[offset + B.mouthUpperUpLeft] as number) + (row[offset + B.mouthUpperUpRight] as number)) /
    2;
  return Math.max(0, jaw - close) + 0.5 * (lower + upper);
}

/** Pearson correlation of two equally long series (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
