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
  const counts = new Uint32Array(THUMB * THUMB);
  // Every 2nd pixel in each direction is plenty for block means. Pixel x is in column block
  // ⌊16x / width⌋, so a row's pixels of one block follow one another: they are summed in a
  // local (rounded to float32 at each step, as the block's float32 sum would be: the same
  // values) and stored when the row leaves the block.
  for (let y = 0; y < height; y += 2) {
    const rowBlock = Math.min(THUMB - 1, Math.floor((y * THUMB) / height)) * THUMB;
    let x = 0;
    let o = y * width * 3;
    for (let bx = 0; bx < THUMB && x < width; bx++) {
      const b = rowBlock + bx;
      // the block's last pixel: 16x < (bx + 1)·width
      const end = (bx + 1) * width;
      let sum = out[b] as number;
      let n = 0;
      for (; x < width && x * THUMB < end; x += 2, o += 6) {
        const luma =
          0.299 * (rgb[o] as number) +
          0.587 * (rgb[o + 1] as number) +
          0.114 * (rgb[o + 2] as number);
        sum = Math.fround(sum + luma);
        n++;
      }
      out[b] = sum;
      counts[b] = (counts[b] as number) + n;
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
