/**
 * The software rasteriser: triangles in output-pixel coordinates, attributes interpolated
 * affinely (the camera is weak-perspective, so no perspective correction is needed), into a
 * per-pixel geometry buffer. Pixel (x, y) covers [x, x+1) × [y, y+1); its centre is
 * (x + 0.5, y + 0.5). Edges are inclusive (with a tiny slack), so triangles sharing an edge
 * leave no gaps; a pixel on a shared edge may be written twice with (nearly) the same values.
 */

/** Per-pixel geometry written by the rasteriser and read by the shading pass. */
export class GeometryBuffer {
  readonly width: number;
  readonly height: number;
  /** Source (reference) position of each output pixel, continuous px, 2 per pixel. */
  readonly src: Float32Array;
  /** Part label per pixel (see PART_LABELS). */
  readonly label: Uint8Array;
  /** Depth (larger = farther) of the nearest surface drawn with a depth test. */
  readonly depth: Float32Array;
  /** Normalised canonical coordinates of the face surface, 3 per pixel, 0 off the face. */
  readonly nocs: Float32Array;
  /** Opening parameters in mouth/eye interiors: u along, v across (0 upper lid/lip, 1 lower), opening height px. */
  readonly aux: Float32Array;
  /** Row range [yMin, yMax] touched by depth-tested triangles since the last clear. */
  readonly surfaceRows = { yMin: Number.MAX_SAFE_INTEGER, yMax: -1 };
  /**
   * Rows [yMin, yMax] the triangles are drawn into (the others keep their values): a
   * caller that shades only some rows draws only those. Default: all.
   */
  readonly clipRows: { yMin: number; yMax: number };

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    const n = width * height;
    this.src = new Float32Array(n * 2);
    this.label = new Uint8Array(n);
    this.depth = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
    this.nocs = new Float32Array(n * 3);
    this.aux = new Float32Array(n * 3);
    this.clipRows = { yMin: 0, yMax: height - 1 };
  }

  /** Resets depth and face coordinates where the last frame drew surface (cheaper than all). */
  clearSurface(): void {
    const { yMin, yMax } = this.surfaceRows;
    if (yMax >= yMin) {
      const a = yMin * this.width;
      const b = (yMax + 1) * this.width;
      this.depth.fill(Number.POSITIVE_INFINITY, a, b);
      this.nocs.fill(0, a * 3, b * 3);
    }
    this.surfaceRows.yMin = Number.MAX_SAFE_INTEGER;
    this.surfaceRows.yMax = -1;
  }
}

const EPS = 1e-4;

/**
 * Draws warp-only triangles (no depth test): writes the interpolated source position and
 * `label` for every covered pixel. Draw them before the surface.
 *
 * @param tgt output positions, `stride` floats per vertex (x, y first)
 * @param src source positions, 2 floats per vertex
 * @param onlySign draw only triangles whose signed area has this sign (0: all)
 */
export function drawWarpTriangles(
  g: GeometryBuffer,
  tgt: Float32Array,
  stride: number,
  src: Float32Array,
  triangles: Uint32Array,
  triangleCount: number,
  label: number,
  onlySign: number,
): void {
  const W = g.width;
  const outSrc = g.src;
  const outLabel = g.label;
  for (let t = 0; t < triangleCount; t++) {
    const i0 = triangles[t * 3] as number;
    const i1 = triangles[t * 3 + 1] as number;
    const i2 = triangles[t * 3 + 2] as number;
    const x0 = tgt[i0 * stride] as number;
    const y0 = tgt[i0 * stride + 1] as number;
    const x1 = tgt[i1 * stride] as number;
    const y1 = tgt[i1 * stride + 1] as number;
    const x2 = tgt[i2 * stride] as number;
    const y2 = tgt[i2 * stride + 1] as number;
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (area === 0 || !Number.isFinite(area) || area * onlySign < 0) continue;
    const inv = 1 / area;
    const sx0 = src[i0 * 2] as number;
    const sy0 = src[i0 * 2 + 1] as number;
    const dsx1 = (src[i1 * 2] as number) - sx0;
    const dsx2 = (src[i2 * 2] as number) - sx0;
    const dsy1 = (src[i1 * 2 + 1] as number) - sy0;
    const dsy2 = (src[i2 * 2 + 1] as number) - sy0;
    const ex1 = x1 - x0;
    const ey1 = y1 - y0;
    const ex2 = x2 - x0;
    const ey2 = y2 - y0;
    const sxdx = (dsx1 * ey2 - dsx2 * ey1) * inv;
    const sxdy = (dsx2 * ex1 - dsx1 * ex2) * inv;
    const sydx = (dsy1 * ey2 - dsy2 * ey1) * inv;
    const sydy = (dsy2 * ex1 - dsy1 * ex2) * inv;
    const yStart = Math.max(g.clipRows.yMin, Math.ceil(Math.min(y0, y1, y2) - 0.5 - EPS));
    const yEnd = Math.min(g.clipRows.yMax, Math.floor(Math.max(y0, y1, y2) - 0.5 + EPS));
    const sgn = area > 0 ? 1 : -1;
    for (let y = yStart; y <= yEnd; y++) {
      const yc = y + 0.5;
      let lo = Math.min(x0, x1, x2);
      let hi = Math.max(x0, x1, x2);
      // Each edge (a→b, opposite c): inside where sgn·((bx−ax)(y−ay) − (by−ay)(x−ax)) ≥ 0.
      for (let e = 0; e < 3; e++) {
        const ax = e === 0 ? x0 : e === 1 ? x1 : x2;
        const ay = e === 0 ? y0 : e === 1 ? y1 : y2;
        const bx = e === 0 ? x1 : e === 1 ? x2 : x0;
        const by = e === 0 ? y1 : e === 1 ? y2 : y0;
        const a = -sgn * (by - ay);
        const k = sgn * (bx - ax) * (yc - ay) + sgn * (by - ay) * ax;
        if (a > 0) lo = Math.max(lo, -k / a);
        else if (a < 0) hi = Math.min(hi, -k / a);
        else if (k < 0) hi = -1;
      }
      const xa = Math.max(0, Math.ceil(lo - 0.5 - EPS));
      const xb = Math.min(W - 1, Math.floor(hi - 0.5 + EPS));
      if (xa > xb) continue;
      const dy = yc - y0;
      let sx = sx0 + sxdx * (xa + 0.5 - x0) + sxdy * dy;
      let sy = sy0 + sydx * (xa + 0.5 - x0) + sydy * dy;
      let p = y * W + xa;
      for (let x = xa; x <= xb; x++, p++) {
        outSrc[p * 2] = sx;
        outSrc[p * 2 + 1] = sy;
        outLabel[p] = label;
        sx += sxdx;
        sy += sydx;
      }
    }
  }
}

/** Inputs of {@link drawSurfaceTriangles}. */
export interface SurfaceBatch {
  /** Output positions x, y, depth (3 floats per vertex; depth larger = farther). */
  tgt: Float32Array;
  /** Source positions (2 floats per vertex). */
  src: Float32Array;
  /** Canonical coordinates in [0, 1] (3 floats per vertex). */
  nocs: Float32Array;
  /** Opening parameters (3 floats per vertex) written to `aux`, or undefined for plain surface. */
  aux: Float32Array | undefined;
  triangles: Uint32Array;
  triangleCount: number;
  /** Label per triangle. */
  labels: Uint8Array;
  /** Sign of the signed area of front-facing triangles; others are culled. */
  frontSign: number;
  /**
   * Subtracted from this batch's depth before the depth test (px): 0 for the surface; the
   * openings are drawn last with a bias, so only surface well in front of them (the nose)
   * hides them, not the lips or lids that share their edges.
   */
  depthBiasPx: number;
}

/**
 * Draws surface triangles with back-face culling and a depth test: writes source position,
 * canonical coordinates, label, depth and (for openings) the opening parameters.
 */
export function drawSurfaceTriangles(g: GeometryBuffer, batch: SurfaceBatch): void {
  const W = g.width;
  const { tgt, src, nocs, aux, triangles, triangleCount, labels, frontSign, depthBiasPx } = batch;
  const outSrc = g.src;
  const outLabel = g.label;
  const outDepth = g.depth;
  const outNocs = g.nocs;
  const outAux = g.aux;
  const rows = g.surfaceRows;
  for (let t = 0; t < triangleCount; t++) {
    const i0 = triangles[t * 3] as number;
    const i1 = triangles[t * 3 + 1] as number;
    const i2 = triangles[t * 3 + 2] as number;
    const x0 = tgt[i0 * 3] as number;
    const y0 = tgt[i0 * 3 + 1] as number;
    const x1 = tgt[i1 * 3] as number;
    const y1 = tgt[i1 * 3 + 1] as number;
    const x2 = tgt[i2 * 3] as number;
    const y2 = tgt[i2 * 3 + 1] as number;
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (!(area * frontSign > 0)) continue;
    const inv = 1 / area;
    const ex1 = x1 - x0;
    const ey1 = y1 - y0;
    const ex2 = x2 - x0;
    const ey2 = y2 - y0;
    // Gradient of an attribute with values a0, a0 + d1, a0 + d2 at the three vertices:
    // d/dx = d1·kx1 + d2·kx2, d/dy = d1·ky1 + d2·ky2.
    const kx1 = ey2 * inv;
    const kx2 = -ey1 * inv;
    const ky1 = -ex2 * inv;
    const ky2 = ex1 * inv;
    const z0 = tgt[i0 * 3 + 2] as number;
    const dz1 = (tgt[i1 * 3 + 2] as number) - z0;
    const dz2 = (tgt[i2 * 3 + 2] as number) - z0;
    const sx0 = src[i0 * 2] as number;
    const dsx1 = (src[i1 * 2] as number) - sx0;
    const dsx2 = (src[i2 * 2] as number) - sx0;
    const sy0 = src[i0 * 2 + 1] as number;
    const dsy1 = (src[i1 * 2 + 1] as number) - sy0;
    const dsy2 = (src[i2 * 2 + 1] as number) - sy0;
    const n00 = nocs[i0 * 3] as number;
    const n01 = nocs[i0 * 3 + 1] as number;
    const n02 = nocs[i0 * 3 + 2] as number;
    const dn01 = (nocs[i1 * 3] as number) - n00;
    const dn02 = (nocs[i2 * 3] as number) - n00;
    const dn11 = (nocs[i1 * 3 + 1] as number) - n01;
    const dn12 = (nocs[i2 * 3 + 1] as number) - n01;
    const dn21 = (nocs[i1 * 3 + 2] as number) - n02;
    const dn22 = (nocs[i2 * 3 + 2] as number) - n02;
    const zdx = dz1 * kx1 + dz2 * kx2;
    const zdy = dz1 * ky1 + dz2 * ky2;
    const sxdx = dsx1 * kx1 + dsx2 * kx2;
    const sxdy = dsx1 * ky1 + dsx2 * ky2;
    const sydx = dsy1 * kx1 + dsy2 * kx2;
    const sydy = dsy1 * ky1 + dsy2 * ky2;
    const n0dx = dn01 * kx1 + dn02 * kx2;
    const n0dy = dn01 * ky1 + dn02 * ky2;
    const n1dx = dn11 * kx1 + dn12 * kx2;
    const n1dy = dn11 * ky1 + dn12 * ky2;
    const n2dx = dn21 * kx1 + dn22 * kx2;
    const n2dy = dn21 * ky1 + dn22 * ky2;
    let a00 = 0;
    let a01 = 0;
    let a02 = 0;
    let a0dx = 0;
    let a0dy = 0;
    let a1dx = 0;
    let a1dy = 0;
    let a2dx = 0;
    let a2dy = 0;
    if (aux) {
      a00 = aux[i0 * 3] as number;
      a01 = aux[i0 * 3 + 1] as number;
      a02 = aux[i0 * 3 + 2] as number;
      const d01 = (aux[i1 * 3] as number) - a00;
      const d02 = (aux[i2 * 3] as number) - a00;
      const d11 = (aux[i1 * 3 + 1] as number) - a01;
      const d12 = (aux[i2 * 3 + 1] as number) - a01;
      const d21 = (aux[i1 * 3 + 2] as number) - a02;
      const d22 = (aux[i2 * 3 + 2] as number) - a02;
      a0dx = d01 * kx1 + d02 * kx2;
      a0dy = d01 * ky1 + d02 * ky2;
      a1dx = d11 * kx1 + d12 * kx2;
      a1dy = d11 * ky1 + d12 * ky2;
      a2dx = d21 * kx1 + d22 * kx2;
      a2dy = d21 * ky1 + d22 * ky2;
    }
    const label = labels[t] as number;
    const yStart = Math.max(g.clipRows.yMin, Math.ceil(Math.min(y0, y1, y2) - 0.5 - EPS));
    const yEnd = Math.min(g.clipRows.yMax, Math.floor(Math.max(y0, y1, y2) - 0.5 + EPS));
    if (yStart < rows.yMin) rows.yMin = yStart;
    if (yEnd > rows.yMax) rows.yMax = yEnd;
    const sgn = area > 0 ? 1 : -1;
    for (let y = yStart; y <= yEnd; y++) {
      const yc = y + 0.5;
      let lo = Math.min(x0, x1, x2);
      let hi = Math.max(x0, x1, x2);
      for (let e = 0; e < 3; e++) {
        const ax = e === 0 ? x0 : e === 1 ? x1 : x2;
        const ay = e === 0 ? y0 : e === 1 ? y1 : y2;
        const bx = e === 0 ? x1 : e === 1 ? x2 : x0;
        const by = e === 0 ? y1 : e === 1 ? y2 : y0;
        const a = -sgn * (by - ay);
        const k = sgn * (bx - ax) * (yc - ay) + sgn * (by - ay) * ax;
        if (a > 0) lo = Math.max(lo, -k / a);
        else if (a < 0) hi = Math.min(hi, -k / a);
        else if (k < 0) hi = -1;
      }
      const xa = Math.max(0, Math.ceil(lo - 0.5 - EPS));
      const xb = Math.min(W - 1, Math.floor(hi - 0.5 + EPS));
      if (xa > xb) continue;
      const fx = xa + 0.5 - x0;
      const fy = yc - y0;
      let z = z0 + zdx * fx + zdy * fy;
      let sx = sx0 + sxdx * fx + sxdy * fy;
      let sy = sy0 + sydx * fx + sydy * fy;
      let n0 = n00 + n0dx * fx + n0dy * fy;
      let n1 = n01 + n1dx * fx + n1dy * fy;
      let n2 = n02 + n2dx * fx + n2dy * fy;
      let u = a00 + a0dx * fx + a0dy * fy;
      let v = a01 + a1dx * fx + a1dy * fy;
      let h = a02 + a2dx * fx + a2dy * fy;
      let p = y * W + xa;
      for (let x = xa; x <= xb; x++, p++) {
        if (z - depthBiasPx < (outDepth[p] as number)) {
          outDepth[p] = z;
          outSrc[p * 2] = sx;
          outSrc[p * 2 + 1] = sy;
          outNocs[p * 3] = n0;
          outNocs[p * 3 + 1] = n1;
          outNocs[p * 3 + 2] = n2;
          outLabel[p] = label;
          if (aux) {
            outAux[p * 3] = u;
            outAux[p * 3 + 1] = v;
            outAux[p * 3 + 2] = h;
          }
        }
        z += zdx;
        sx += sxdx;
        sy += sydx;
        n0 += n0dx;
        n1 += n1dx;
        n2 += n2dx;
        u += a0dx;
        v += a1dx;
        h += a2dx;
      }
    }
  }
}
