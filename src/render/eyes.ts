/**
 * Lash line of a closing eye: as the lids meet, the eye opening collapses and the stretched
 * upper lid covers the eye; a soft dark line along the lid edge reads as the lashes of a
 * closed eye. Drawn onto the composite only.
 *
 * @param tgt output positions (3 floats per vertex)
 * @param lid upper-lid contour (vertex indices)
 * @param widthPx line width
 * @param alpha opacity in [0, 1]
 * @param color RGB of the lashes
 */
export function drawLidLine(
  composite: Uint8Array,
  width: number,
  height: number,
  tgt: Float32Array,
  lid: Uint32Array,
  widthPx: number,
  alpha: number,
  color: Float32Array,
): void {
  if (alpha <= 0) return;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < lid.length; k++) {
    const i = lid[k] as number;
    minX = Math.min(minX, tgt[i * 3] as number);
    maxX = Math.max(maxX, tgt[i * 3] as number);
    minY = Math.min(minY, tgt[i * 3 + 1] as number);
    maxY = Math.max(maxY, tgt[i * 3 + 1] as number);
  }
  const half = widthPx / 2;
  const x0 = Math.max(0, Math.floor(minX - half - 1));
  const x1 = Math.min(width - 1, Math.ceil(maxX + half + 1));
  const y0 = Math.max(0, Math.floor(minY - half - 1));
  const y1 = Math.min(height - 1, Math.ceil(maxY + half + 1));
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k + 1 < lid.length; k++) {
        const a = lid[k] as number;
        const b = lid[k + 1] as number;
        const ax = tgt[a * 3] as number;
        const ay = tgt[a * 3 + 1] as number;
        const dx = (tgt[b * 3] as number) - ax;
        const dy = (tgt[b * 3 + 1] as number) - ay;
        const len2 = dx * dx + dy * dy;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : Math.min(t, 1);
        const ex = ax + dx * t - px;
        const ey = ay + dy * t - py;
        const d2 = ex * ex + ey * ey;
        if (d2 < best) best = d2;
      }
      const d = Math.sqrt(best);
      if (d > half + 0.5) continue;
      // Thin towards the eye corners? The contour ends are the corners; keep it simple and
      // let the coverage fall off with distance only.
      const cover = d <= half - 0.5 ? 1 : half + 0.5 - d;
      const a = alpha * cover;
      const o = (y * width + x) * 3;
      composite[o] = composite[o]! + ((color[0] as number) - composite[o]!) * a + 0.5;
      composite[o + 1] = composite[o + 1]! + ((color[1] as number) - composite[o + 1]!) * a + 0.5;
      composite[o + 2] = composite[o + 2]! + ((color[2] as number) - composite[o + 2]!) * a + 0.5;
    }
  }
}
