/**
 * Where a patch of image `a` centred at `at` went in image `b` (RGB, `width` × `height`): the
 * integer shift within ±`reach` px with the least sum of squared differences. The patch is
 * (2·half + 1)² px, its centre kept far enough inside the image for every shift.
 */
export function patchShift(
  a: Uint8Array,
  b: Uint8Array,
  at: { x: number; y: number },
  size: { width: number; height: number },
  half = 10,
  reach = 12,
): { dx: number; dy: number; ssd: number } {
  const { width, height } = size;
  let best = { dx: 0, dy: 0, ssd: Number.POSITIVE_INFINITY };
  const margin = half + reach + 1;
  const cx = Math.min(width - margin, Math.max(margin - 1, Math.round(at.x)));
  const cy = Math.min(height - margin, Math.max(margin - 1, Math.round(at.y)));
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      let ssd = 0;
      for (let y = cy - half; y <= cy + half; y++) {
        for (let x = cx - half; x <= cx + half; x++) {
          const p = (y * width + x) * 3;
          const q = ((y + dy) * width + x + dx) * 3;
          for (let c = 0; c < 3; c++) ssd += ((a[p + c] as number) - (b[q + c] as number)) ** 2;
        }
      }
      if (ssd < best.ssd) best = { dx, dy, ssd };
    }
  }
  return best;
}
