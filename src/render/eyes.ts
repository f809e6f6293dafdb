/**
 * Lashes of a closing eye, taken from the photo. As the lids meet, the eye opening collapses
 * and with it the dark upper margin of the opening (lashes, lid shadow) that the photo shows
 * just below the upper-lid contour; the stretched lid skin alone reads as a blank. This
 * redraws that margin along the closing lid: every pixel within `widthPx / 2` of the lid's
 * output contour samples the reference at the same place along the lid's source contour,
 * inside the opening by the same fraction of the band (the band's height in the source is
 * `widthPx` scaled by the lid's source/output length ratio). Drawn onto the composite only.
 */

/** Where the lid is: positions and the photo it comes from. */
export interface LidSource {
  /** Output positions, 3 floats per vertex. */
  tgt: Float32Array;
  /** Source positions (reference at output size), 2 floats per vertex. */
  src: Float32Array;
  /** Upper-lid contour (vertex indices, corner to corner). */
  upper: Uint32Array;
  /** Lower-lid contour, matched point for point with `upper`. */
  lower: Uint32Array;
  /** The reference at output size, packed RGB. */
  reference: Uint8Array;
}

/**
 * Draws the photo's lash band along the closing upper lid (`alpha` in [0, 1], band `widthPx`
 * wide in the output).
 */
export function drawPhotoLashes(
  composite: Uint8Array,
  width: number,
  height: number,
  lid: LidSource,
  widthPx: number,
  alpha: number,
): void {
  if (alpha <= 0) return;
  const { tgt, upper } = lid;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < upper.length; k++) {
    const i = upper[k] as number;
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
  const scale = contourLength(lid.src, 2, upper) / Math.max(1, contourLength(tgt, 3, upper));
  const near = { k: 0, t: 0, d: 0, side: 0 };
  const rgb = new Float32Array(3);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      nearestOnLid(tgt, upper, x + 0.5, y + 0.5, near);
      if (near.d > half + 0.5) continue;
      // Band coordinate: 0 at the lid's upper edge of the band, 1 at its lower edge.
      const across = (near.side * near.d + half) / (2 * half);
      if (!sampleBand(lid, near.k, near.t, across * widthPx * scale, width, height, rgb)) continue;
      const cover = near.d <= half - 0.5 ? 1 : half + 0.5 - near.d;
      const a = alpha * cover;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = composite[o + c] as number;
        composite[o + c] = v + ((rgb[c] as number) - v) * a + 0.5;
      }
    }
  }
}

function contourLength(p: Float32Array, stride: number, list: Uint32Array): number {
  let sum = 0;
  for (let k = 0; k + 1 < list.length; k++) {
    const a = (list[k] as number) * stride;
    const b = (list[k + 1] as number) * stride;
    sum += Math.hypot(
      (p[b] as number) - (p[a] as number),
      (p[b + 1] as number) - (p[a + 1] as number),
    );
  }
  return sum;
}

/** Nearest point of the output contour: segment k, parameter t, distance d, side ±1 (+ below). */
function nearestOnLid(
  tgt: Float32Array,
  lid: Uint32Array,
  px: number,
  py: number,
  out: { k: number; t: number; d: number; side: number },
): void {
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
    const ex = px - (ax + dx * t);
    const ey = py - (ay + dy * t);
    const d2 = ex * ex + ey * ey;
    if (d2 < best) {
      best = d2;
      out.k = k;
      out.t = t;
      // Side of the pixel: + towards image-down of the segment (the closed eye's side).
      out.side = (dx * ey - dy * ex) * (dx < 0 ? -1 : 1) >= 0 ? 1 : -1;
    }
  }
  out.d = Math.sqrt(best);
}

/**
 * Samples the reference `depthPx` into the opening from the source upper contour at segment
 * `k`, parameter `t` (towards the matching lower-contour point). False when the photo's
 * opening there is too thin to hold the band.
 */
function sampleBand(
  lid: LidSource,
  k: number,
  t: number,
  depthPx: number,
  width: number,
  height: number,
  rgb: Float32Array,
): boolean {
  const { src, upper, lower, reference } = lid;
  const at = (list: Uint32Array, c: number) =>
    (src[(list[k] as number) * 2 + c] as number) * (1 - t) +
    (src[(list[k + 1] as number) * 2 + c] as number) * t;
  const ux = at(upper, 0);
  const uy = at(upper, 1);
  const dx = at(lower, 0) - ux;
  const dy = at(lower, 1) - uy;
  const gap = Math.hypot(dx, dy);
  if (gap < 0.5) return false;
  const f = Math.min(depthPx, gap * 0.6) / gap;
  const sx = Math.min(width - 1.001, Math.max(0, ux + dx * f - 0.5));
  const sy = Math.min(height - 1.001, Math.max(0, uy + dy * f - 0.5));
  const xi = Math.floor(sx);
  const yi = Math.floor(sy);
  const fx = sx - xi;
  const fy = sy - yi;
  const o = (yi * width + xi) * 3;
  const s = width * 3;
  for (let c = 0; c < 3; c++) {
    const top = (reference[o + c] as number) * (1 - fx) + (reference[o + 3 + c] as number) * fx;
    const bottom =
      (reference[o + s + c] as number) * (1 - fx) + (reference[o + s + 3 + c] as number) * fx;
    rgb[c] = top * (1 - fy) + bottom * fy;
  }
  return true;
}
