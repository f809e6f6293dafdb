/** Side of the grey thumbnail compared between frames to find cuts. */
const THUMB = 16;

/**
 * A 16 × 16 grey thumbnail (block means, 0–255) of an RGB frame, into `out`. Cheap enough
 * for every frame; what a cut detector compares.
 */
export function thumbnail(
  rgb: Uint8Array,
  width: number,
  height: number,
  out: Float32Array = new Float32Array(THUMB * THUMB),
): Float32Array {
  out.fill(0);
  const counts = new Float32Array(THUMB * THUMB);
  // Every 2nd pixel in each direction is plenty for block means.
  for (let y = 0; y < height; y += 2) {
    const by = Math.min(THUMB - 1, Math.floor((y * THUMB) / height));
    for (let x = 0; x < width; x += 2) {
      const bx = Math.min(THUMB - 1, Math.floor((x * THUMB) / width));
      const o = (y * width + x) * 3;
      const luma =
        0.299 * (rgb[o] as number) +
        0.587 * (rgb[o + 1] as number) +
        0.114 * (rgb[o + 2] as number);
      const b = by * THUMB + bx;
      out[b] = (out[b] as number) + luma;
      counts[b] = (counts[b] as number) + 1;
    }
  }
  for (let b = 0; b < out.length; b++)
    out[b] = (out[b] as number) / Math.max(1, counts[b] as number);
  return out;
}

/** Mean absolute difference of two thumbnails, grey levels. */
export function thumbnailDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}
