/** A face's position and size, to notice when it jumps between frames. */
export interface FacePlacement {
  x: number;
  y: number;
  interOcularPx: number;
}

/**
 * Whether two consecutive faces cannot be the same face moving: the centre moved more than
 * `maxMove` eye distances, or the size changed by more than `maxScale` (ratio).
 */
export function faceJumped(
  a: FacePlacement,
  b: FacePlacement,
  maxMove = 0.6,
  maxScale = 1.25,
): boolean {
  const iod = Math.max(1, (a.interOcularPx + b.interOcularPx) / 2);
  const moved = Math.hypot(a.x - b.x, a.y - b.y) / iod;
  const ratio = b.interOcularPx / Math.max(1e-6, a.interOcularPx);
  return moved > maxMove || ratio > maxScale || ratio < 1 / maxScale;
}
