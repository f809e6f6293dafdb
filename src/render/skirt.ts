/**
 * The skirt: a triangulated band around the face mesh out to the frame border, so the warp
 * is one continuous piecewise-affine field over the whole frame (no tear at the mesh edge).
 *
 * Rings of vertices are laid out from the face outline towards the frame border along rays
 * from the face centre. Per frame each ring vertex follows the head's 2-D rigid motion
 * (a similarity fitted to the skull vertices, so hair moves with the head) with a weight
 * that fades to 0 towards the border (background stays still) and fades faster below the
 * jaw (the neck follows the head only partly), plus the face outline's non-rigid residual
 * (e.g. the chin dropping) fading faster still. The last inner ring, the border ring and the
 * frame corners never move.
 */

/**
 * Distance of each inner ring from the outline, in face radii (capped by the border). The
 * last ring never moves: everything outside it is static background, which the renderer
 * draws once per reference instead of every frame.
 */
const RING_RADII = [0.1, 0.3, 0.55, 0.9] as const;
/** Cap of each ring's distance as a fraction of the outline-to-border distance. */
const RING_CAPS = [0.12, 0.32, 0.55, 0.8] as const;
/** Weight of the head's rigid motion on each inner ring (hair, top and sides). */
const RIGID_HAIR = [0.96, 0.82, 0.5, 0] as const;
/** Same below the jaw (neck). */
const RIGID_NECK = [0.65, 0.35, 0.1, 0] as const;
/**
 * Rigid weight of a ring vertex that lies on the person (hair) by the person matte: hair
 * turns with the skull instead of stretching (the renderer holds the background still
 * separately, so a high weight no longer drags background along).
 */
const RIGID_PERSON = [1, 0.98, 0.85, 0] as const;
/** Weight of the outline's non-rigid residual on each inner ring. */
const RESIDUAL = [0.8, 0.45, 0.15, 0] as const;
/**
 * Each ring stays at least this fraction of its source spacing outside the previous one
 * (measured along its ray), so a chin dropping or a cheek turning outwards pushes the
 * skirt ahead of it instead of folding it over.
 */
const MIN_SPACING = 0.35;
export const SKIRT_RINGS = RING_RADII.length;
/** Frame border margin, px: the border ring lies just outside the frame. */
const MARGIN_PX = 2;

/** Skirt vertices and triangles for one reference (built when the reference changes). */
export class Skirt {
  /** Number of outline vertices (= vertices per ring). */
  readonly ringSize: number;
  /** Index of the first skirt vertex in the frame's vertex buffer (after the face vertices). */
  readonly firstVertex: number;
  /** Skirt vertex count: inner rings, the border ring, 4 corners. */
  readonly vertexCount: number;
  /**
   * Triangles (indices into the frame's vertex buffer): first the `dynamicCount` between
   * moving rings, then the static ones (last ring to border, corners) up to `triangleCount`.
   */
  readonly triangles: Uint32Array;
  triangleCount = 0;
  dynamicCount = 0;
  /** Per outline vertex, how much its direction points down (0 sides/top … 1 straight down). */
  readonly #neckness: Float32Array;
  /** Per skirt vertex: weight of the rigid motion and of the residual. */
  readonly #rigidWeight: Float32Array;
  readonly #residualWeight: Float32Array;
  /** Per outline vertex: unit ray direction (source space), 2 floats. */
  readonly #dir: Float32Array;
  /** Per skirt vertex: source distance to the previous ring along the ray. */
  readonly #spacing: Float32Array;
  readonly #oval: Uint32Array;

  constructor(oval: Uint32Array, firstVertex: number) {
    this.#oval = oval;
    this.ringSize = oval.length;
    this.firstVertex = firstVertex;
    this.vertexCount = this.ringSize * (SKIRT_RINGS + 1) + 4;
    // Ring bands (rings + border) and up to 4 corner fans of ≤ ringSize triangles each.
    this.triangles = new Uint32Array(
      (this.ringSize * 2 * (SKIRT_RINGS + 1) + 8 + this.ringSize) * 3,
    );
    this.#neckness = new Float32Array(this.ringSize);
    this.#rigidWeight = new Float32Array(this.vertexCount);
    this.#residualWeight = new Float32Array(this.vertexCount);
    this.#dir = new Float32Array(this.ringSize * 2);
    this.#spacing = new Float32Array(this.vertexCount);
  }

  /** Total vertex count of the frame buffer this skirt expects. */
  get endVertex(): number {
    return this.firstVertex + this.vertexCount;
  }

  /** Vertex indices of the static ring (in order around the face), for the dynamic region. */
  staticRing(out: Uint32Array = new Uint32Array(this.ringSize)): Uint32Array {
    for (let j = 0; j < this.ringSize; j++) out[j] = this.#ring(SKIRT_RINGS, j);
    return out;
  }

  /** Vertex indices of every moving skirt vertex (all inner rings but the static one). */
  movingVertices(): { first: number; count: number } {
    return { first: this.firstVertex, count: (SKIRT_RINGS - 1) * this.ringSize };
  }

  #ring(k: number, j: number): number {
    // k = 0 is the outline itself (face vertices), 1…SKIRT_RINGS the inner rings, SKIRT_RINGS+1 the border.
    if (k === 0) return this.#oval[j] as number;
    return this.firstVertex + (k - 1) * this.ringSize + j;
  }

  #corner(c: number): number {
    return this.firstVertex + (SKIRT_RINGS + 1) * this.ringSize + c;
  }

  /**
   * Lays the skirt out in source space from the outline's source positions (`src`, 2 per
   * vertex; the face vertices must be filled) for a frame of `width` × `height`, writing the
   * skirt vertices' source positions into `src`, and builds the triangles. With `person`
   * (the reference's person matte at output size, 0–255) ring vertices on the person above
   * the jaw follow the skull more closely ({@link RIGID_PERSON}).
   */
  layout(src: Float32Array, width: number, height: number, person?: Uint8Array): void {
    const m = this.ringSize;
    let cx = 0;
    let cy = 0;
    for (let j = 0; j < m; j++) {
      cx += src[this.#ring(0, j) * 2] as number;
      cy += src[this.#ring(0, j) * 2 + 1] as number;
    }
    cx /= m;
    cy /= m;
    let radius = 0;
    for (let j = 0; j < m; j++) {
      const o = this.#ring(0, j) * 2;
      radius += Math.hypot((src[o] as number) - cx, (src[o + 1] as number) - cy);
    }
    radius /= m;
    const x0 = -MARGIN_PX;
    const y0 = -MARGIN_PX;
    const x1 = width + MARGIN_PX;
    const y1 = height + MARGIN_PX;
    const angles = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      const o = this.#ring(0, j) * 2;
      const bx = src[o] as number;
      const by = src[o + 1] as number;
      let dx = bx - cx;
      let dy = by - cy;
      const tb = Math.hypot(dx, dy) || 1;
      dx /= tb;
      dy /= tb;
      angles[j] = Math.atan2(dy, dx);
      this.#dir[j * 2] = dx;
      this.#dir[j * 2 + 1] = dy;
      this.#neckness[j] = clamp01((dy - 0.35) / 0.45);
      // Ray parameter (from the centre) where it leaves the border rectangle.
      let te = Number.POSITIVE_INFINITY;
      if (dx > 1e-9) te = Math.min(te, (x1 - cx) / dx);
      if (dx < -1e-9) te = Math.min(te, (x0 - cx) / dx);
      if (dy > 1e-9) te = Math.min(te, (y1 - cy) / dy);
      if (dy < -1e-9) te = Math.min(te, (y0 - cy) / dy);
      // A face reaching past the frame: keep the rings outside the outline anyway.
      te = Math.max(te, tb + 1 + SKIRT_RINGS);
      const room = te - tb;
      let previous = 0;
      for (let k = 1; k <= SKIRT_RINGS; k++) {
        const d = Math.min(
          radius * (RING_RADII[k - 1] as number),
          room * (RING_CAPS[k - 1] as number),
        );
        const v = this.#ring(k, j);
        src[v * 2] = bx + dx * d;
        src[v * 2 + 1] = by + dy * d;
        const hair = RIGID_HAIR[k - 1] as number;
        const neck = RIGID_NECK[k - 1] as number;
        const s = this.#neckness[j] as number;
        const onPerson = person ? matteAt(person, width, height, src[v * 2], src[v * 2 + 1]) : 0;
        const top = hair + ((RIGID_PERSON[k - 1] as number) - hair) * onPerson;
        this.#rigidWeight[v - this.firstVertex] = top + (neck - top) * s;
        this.#residualWeight[v - this.firstVertex] = RESIDUAL[k - 1] as number;
        this.#spacing[v - this.firstVertex] = d - previous;
        previous = d;
      }
      const e = this.#ring(SKIRT_RINGS + 1, j);
      src[e * 2] = cx + dx * te;
      src[e * 2 + 1] = cy + dy * te;
    }
    const corners = [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ] as const;
    const cornerAngles = corners.map(([x, y]) => Math.atan2(y - cy, x - cx));
    corners.forEach(([x, y], c) => {
      src[this.#corner(c) * 2] = x;
      src[this.#corner(c) * 2 + 1] = y;
    });

    // Triangles: bands between consecutive rings, then corner fans on the border.
    const t = this.triangles;
    let count = 0;
    const push = (a: number, b: number, c: number) => {
      t[count * 3] = a;
      t[count * 3 + 1] = b;
      t[count * 3 + 2] = c;
      count++;
    };
    for (let k = 1; k <= SKIRT_RINGS + 1; k++) {
      if (k === SKIRT_RINGS + 1) this.dynamicCount = count;
      for (let j = 0; j < m; j++) {
        const jn = (j + 1) % m;
        push(this.#ring(k - 1, j), this.#ring(k - 1, jn), this.#ring(k, jn));
        push(this.#ring(k - 1, j), this.#ring(k, jn), this.#ring(k, j));
      }
    }
    // Direction of travel around the outline (angles increasing or decreasing).
    let turn = 0;
    for (let j = 0; j < m; j++)
      turn += wrapAngle((angles[(j + 1) % m] as number) - (angles[j] as number));
    const dir = turn >= 0 ? 1 : -1;
    for (let j = 0; j < m; j++) {
      const jn = (j + 1) % m;
      const a0 = angles[j] as number;
      const span = wrapAngle((angles[jn] as number) - a0) * dir;
      // Corners strictly inside the angular step from ray j to ray j+1, in travel order.
      const inside: { c: number; at: number }[] = [];
      cornerAngles.forEach((ca, c) => {
        const at = wrapAngle(ca - a0) * dir;
        if (at > 0 && at < span) inside.push({ c, at });
      });
      inside.sort((p, q) => p.at - q.at);
      let prev = this.#ring(SKIRT_RINGS + 1, j);
      for (const { c } of inside) {
        push(prev, this.#corner(c), this.#ring(SKIRT_RINGS + 1, jn));
        prev = this.#corner(c);
      }
    }
    this.triangleCount = count;
  }

  /**
   * Target positions of the skirt vertices for one frame. `tgt` (stride 3) must hold the
   * face vertices' target positions; `src` the source positions (after {@link layout});
   * `motion` the head's 2-D similarity source → target (see {@link fitSimilarity}).
   */
  move(tgt: Float32Array, src: Float32Array, motion: Similarity): void {
    const { a, b, tx, ty } = motion;
    const m = this.ringSize;
    // Non-rigid residual of each outline vertex: where it went minus where the skull took it.
    for (let k = 1; k <= SKIRT_RINGS + 1; k++) {
      for (let j = 0; j < m; j++) {
        const v = this.#ring(k, j);
        const sx = src[v * 2] as number;
        const sy = src[v * 2 + 1] as number;
        let x = sx;
        let y = sy;
        if (k < SKIRT_RINGS) {
          const o = this.#ring(0, j);
          const ox = src[o * 2] as number;
          const oy = src[o * 2 + 1] as number;
          const rx = (tgt[o * 3] as number) - (a * ox - b * oy + tx);
          const ry = (tgt[o * 3 + 1] as number) - (b * ox + a * oy + ty);
          const wr = this.#rigidWeight[v - this.firstVertex] as number;
          const we = this.#residualWeight[v - this.firstVertex] as number;
          x = sx + wr * (a * sx - b * sy + tx - sx) + we * rx;
          y = sy + wr * (b * sx + a * sy + ty - sy) + we * ry;
          // Keep clear of the previous ring (no fold-over).
          const p = this.#ring(k - 1, j);
          const dx = this.#dir[j * 2] as number;
          const dy = this.#dir[j * 2 + 1] as number;
          const along = (x - (tgt[p * 3] as number)) * dx + (y - (tgt[p * 3 + 1] as number)) * dy;
          const min = MIN_SPACING * (this.#spacing[v - this.firstVertex] as number);
          if (along < min) {
            x += (min - along) * dx;
            y += (min - along) * dy;
          }
        }
        tgt[v * 3] = x;
        tgt[v * 3 + 1] = y;
        tgt[v * 3 + 2] = 0;
      }
    }
    for (let c = 0; c < 4; c++) {
      const v = this.#corner(c);
      tgt[v * 3] = src[v * 2] as number;
      tgt[v * 3 + 1] = src[v * 2 + 1] as number;
      tgt[v * 3 + 2] = 0;
    }
  }
}

/** A 2-D similarity p ↦ [a −b; b a]·p + t. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Least-squares similarity mapping the source points to the target points (both indexed by
 * `indices`; `src` has 2 floats per vertex, `tgt` 3). Writes into and returns `out`.
 */
export function fitSimilarity(
  src: Float32Array,
  tgt: Float32Array,
  indices: Uint32Array,
  out: Similarity,
): Similarity {
  let spx = 0;
  let spy = 0;
  let sqx = 0;
  let sqy = 0;
  const n = indices.length;
  for (let k = 0; k < n; k++) {
    const i = indices[k] as number;
    spx += src[i * 2] as number;
    spy += src[i * 2 + 1] as number;
    sqx += tgt[i * 3] as number;
    sqy += tgt[i * 3 + 1] as number;
  }
  spx /= n;
  spy /= n;
  sqx /= n;
  sqy /= n;
  let re = 0;
  let im = 0;
  let norm = 0;
  for (let k = 0; k < n; k++) {
    const i = indices[k] as number;
    const px = (src[i * 2] as number) - spx;
    const py = (src[i * 2 + 1] as number) - spy;
    const qx = (tgt[i * 3] as number) - sqx;
    const qy = (tgt[i * 3 + 1] as number) - sqy;
    // Σ q · conj(p) as complex numbers.
    re += qx * px + qy * py;
    im += qy * px - qx * py;
    norm += px * px + py * py;
  }
  out.a = norm > 0 ? re / norm : 1;
  out.b = norm > 0 ? im / norm : 0;
  out.tx = sqx - (out.a * spx - out.b * spy);
  out.ty = sqy - (out.b * spx + out.a * spy);
  return out;
}

/** The matte (0–255) at a source point, as 0–1 (nearest pixel; 0 outside the frame). */
function matteAt(
  matte: Uint8Array,
  width: number,
  height: number,
  x: number | undefined,
  y: number | undefined,
): number {
  const xi = Math.floor(x ?? -1);
  const yi = Math.floor(y ?? -1);
  if (xi < 0 || yi < 0 || xi >= width || yi >= height) return 0;
  return (matte[yi * width + xi] as number) / 255;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}

function wrapAngle(a: number): number {
  let v = a;
  while (v > Math.PI) v -= 2 * Math.PI;
  while (v <= -Math.PI) v += 2 * Math.PI;
  return v;
}
