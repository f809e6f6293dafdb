import type { ControlsFrame } from '../controls/index.ts';

/**
 * The chest's own motion, measured from the frames: a few patches of the upper chest (just
 * below the neckline, between the shoulder joints) are block-matched against an anchor frame,
 * and the median of their shifts is where the torso went. MoveNet's shoulder points follow a
 * gesturing arm (on seated speakers they move 2–3× more than the chest does); the cloth
 * below the collar bones does not, so this is the torso pass's driving signal when frames
 * are at hand (tracking a video).
 */

/** An 8-bit RGB image, rows top to bottom. */
export interface ChestImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A point in image px. */
export interface ChestPoint {
  x: number;
  y: number;
}

/** The chest's shift from the anchor frame, image px. */
export interface ChestShift {
  x: number;
  y: number;
}

/**
 * Patch centres, in anchor shoulder widths from the shoulder joints' midpoint (x across, y
 * down): three across the upper chest, two rows, the upper one just below the collar bones.
 * Hands in front of the chest cover some; the median of six survives two or three.
 */
const PATCH_CENTRES: readonly ChestPoint[] = [
  { x: -0.28, y: 0.12 },
  { x: 0, y: 0.12 },
  { x: 0.28, y: 0.12 },
  { x: -0.28, y: 0.3 },
  { x: 0, y: 0.3 },
  { x: 0.28, y: 0.3 },
];
/** Half a patch's side, in shoulder widths. */
const PATCH_HALF = 0.08;
/**
 * The smallest patch side, px: a smaller block matches a fine, repeating cloth pattern one
 * period off as well as on (a 256 px TANGO clip's 9 px patches flipped between the two).
 */
const MIN_PATCH_PX = 16;
/** Search radius around the previous frame's shift, in shoulder widths (at least 3 px). */
const REACH = 0.05;
/**
 * Patches whose luma SD in the anchor is below this (levels) are too plain to match (a
 * plain shirt): their best match is noise.
 */
const MIN_TEXTURE_SD = 3;

interface Patch {
  x0: number;
  y0: number;
  size: number;
  /** The anchor's luma over the patch. */
  template: Float32Array;
}

export class ChestMotion {
  readonly #width: number;
  readonly #height: number;
  readonly #patches: Patch[];
  readonly #reach: number;
  readonly #luma: Float32Array;
  #last: ChestShift = { x: 0, y: 0 };

  /**
   * @param anchor the frame shifts are measured from
   * @param shoulders its shoulder joint centres (either order), image px
   */
  constructor(anchor: ChestImage, shoulders: { left: ChestPoint; right: ChestPoint }) {
    this.#width = anchor.width;
    this.#height = anchor.height;
    this.#luma = new Float32Array(anchor.width * anchor.height);
    const sw = Math.hypot(
      shoulders.left.x - shoulders.right.x,
      shoulders.left.y - shoulders.right.y,
    );
    const mid = {
      x: (shoulders.left.x + shoulders.right.x) / 2,
      y: (shoulders.left.y + shoulders.right.y) / 2,
    };
    this.#reach = Math.max(3, Math.round(REACH * sw));
    const size = Math.max(MIN_PATCH_PX, Math.round(2 * PATCH_HALF * sw));
    lumaInto(anchor, this.#luma);
    this.#patches = [];
    for (const c of PATCH_CENTRES) {
      const x0 = Math.round(mid.x + c.x * sw - size / 2);
      const y0 = Math.round(mid.y + c.y * sw - size / 2);
      if (x0 < 0 || y0 < 0 || x0 + size > anchor.width || y0 + size > anchor.height) continue;
      const template = new Float32Array(size * size);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          template[y * size + x] = this.#luma[(y0 + y) * anchor.width + x0 + x] as number;
      if (sd(template) >= MIN_TEXTURE_SD) this.#patches.push({ x0, y0, size, template });
    }
  }

  /** How many chest patches are textured enough to follow (0: nothing is measured). */
  get patchCount(): number {
    return this.#patches.length;
  }

  /**
   * The chest's shift from the anchor in `image` (same size), px; undefined when no patch
   * can be followed. Call in frame order: each patch is searched within the reach around the
   * previous shift and, when given, around `around` (a coarse prediction, e.g. the body
   * model's shoulder points, for moves faster than the reach), keeping the better match.
   */
  measure(image: ChestImage, around?: ChestShift): ChestShift | undefined {
    if (this.#patches.length === 0) return undefined;
    if (image.width !== this.#width || image.height !== this.#height)
      throw new RangeError(
        `chest: frame ${image.width}×${image.height}, anchor ${this.#width}×${this.#height}`,
      );
    lumaInto(image, this.#luma);
    const previous = this.#last;
    const far =
      around && Math.max(Math.abs(around.x - previous.x), Math.abs(around.y - previous.y)) > 1;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const patch of this.#patches) {
      let s = this.#match(patch, previous);
      if (far && around) {
        const t = this.#match(patch, around);
        if (t.cost < s.cost) s = t;
      }
      xs.push(s.x);
      ys.push(s.y);
    }
    this.#last = { x: median(xs), y: median(ys) };
    return { ...this.#last };
  }

  /** The patch's best shift (sub-pixel) within the reach of `around`, and its SSD. */
  #match(patch: Patch, around: ChestShift): ChestShift & { cost: number } {
    const cx = Math.round(around.x);
    const cy = Math.round(around.y);
    const r = this.#reach;
    const n = 2 * r + 1;
    const cost = new Float64Array(n * n);
    let best = 0;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const i = (dy + r) * n + dx + r;
        cost[i] = this.#ssd(patch, cx + dx, cy + dy);
        if ((cost[i] as number) < (cost[best] as number)) best = i;
      }
    }
    const bx = (best % n) - r;
    const by = Math.floor(best / n) - r;
    const at = (dx: number, dy: number) => cost[(dy + r) * n + dx + r] as number;
    const fx = bx > -r && bx < r ? vertex(at(bx - 1, by), at(bx, by), at(bx + 1, by)) : 0;
    const fy = by > -r && by < r ? vertex(at(bx, by - 1), at(bx, by), at(bx, by + 1)) : 0;
    return { x: cx + bx + fx, y: cy + by + fy, cost: cost[best] as number };
  }

  /** Sum of squared luma differences of the patch moved by (sx, sy), clamped at the borders. */
  #ssd(patch: Patch, sx: number, sy: number): number {
    const w = this.#width;
    const h = this.#height;
    let sum = 0;
    for (let y = 0; y < patch.size; y++) {
      const yy = Math.min(h - 1, Math.max(0, patch.y0 + y + sy));
      for (let x = 0; x < patch.size; x++) {
        const xx = Math.min(w - 1, Math.max(0, patch.x0 + x + sx));
        const d =
          (this.#luma[yy * w + xx] as number) - (patch.template[y * patch.size + x] as number);
        sum += d * d;
      }
    }
    return sum;
  }
}

/** Shoulder keypoints below this MoveNet score cannot anchor the chest. */
const MIN_SHOULDER_SCORE = 0.3;

/** A body keypoint as the body model reports it (image px). */
export interface ChestKeypoint {
  name: string;
  x: number;
  y: number;
  score: number;
}

/** Both shoulder joints of a detection when confidently seen (subject's left, right). */
export function chestAnchorShoulders(
  keypoints: readonly ChestKeypoint[],
): { left: ChestPoint; right: ChestPoint } | undefined {
  const at = (name: string) =>
    keypoints.find((k) => k.name === name && k.score >= MIN_SHOULDER_SCORE);
  const left = at('leftShoulder');
  const right = at('rightShoulder');
  return left && right
    ? { left: { x: left.x, y: left.y }, right: { x: right.x, y: right.y } }
    : undefined;
}

/** The frame whose chest the others are measured from, and its shoulders (image px). */
export interface ChestAnchor {
  frameIndex: number;
  shoulders: { left: ChestPoint; right: ChestPoint };
}

/**
 * Drives tracked Controls' shoulders by the chest (`controls[i]` = frame i of the decoded
 * video `frames`): each frame's chest is searched around where the tracked shoulder points
 * put it (their midpoint's displacement from the anchor frame's), so a large, fast move
 * (a dancer) is followed, and the chest refines it within the reach — what the points got
 * wrong by following an arm. A running median over 5 frames drops glitches; then
 * {@link driveShouldersByChest}.
 */
export async function followChest(
  controls: ControlsFrame[],
  frames: AsyncIterable<{ frameIndex: number; width: number; height: number; rgb: Uint8Array }>,
  anchor: ChestAnchor,
): Promise<void> {
  const { left, right } = anchor.shoulders;
  const sw = Math.hypot(left.x - right.x, left.y - right.y);
  const mid = (i: number) => {
    const b = controls[i]?.body;
    return b
      ? {
          x: (b.leftShoulder.x + b.rightShoulder.x) / 2,
          y: (b.leftShoulder.y + b.rightShoulder.y) / 2,
        }
      : undefined;
  };
  const at = mid(anchor.frameIndex);
  const shifts: (ChestShift | undefined)[] = [];
  let chest: ChestMotion | undefined;
  for await (const f of frames) {
    const image = { width: f.width, height: f.height, data: f.rgb };
    if (f.frameIndex === anchor.frameIndex) chest = new ChestMotion(image, anchor.shoulders);
    const m = mid(f.frameIndex);
    const around = m && at ? { x: (m.x - at.x) * sw, y: (m.y - at.y) * sw } : undefined;
    shifts[f.frameIndex] = chest?.measure(image, around);
  }
  driveShouldersByChest(controls, runningMedian(shifts), sw);
}

/**
 * Drives the shoulders of tracked Controls by the chest's measured shift (both shoulders
 * move with it, rigidly; elbows, wrists and the neck roll stay as tracked). `shifts[i]` is
 * frame i's shift from the anchor (px; undefined: holds the last one), `shoulderWidthPx` the
 * unit of the Controls offsets. The shifts are re-based to the tracked rest pose by the
 * median difference from the tracked shoulder midpoint, so the channels keep their meaning
 * (offsets from the rest pose). Frames before the first measured one keep their tracked
 * shoulders.
 */
export function driveShouldersByChest(
  frames: ControlsFrame[],
  shifts: readonly (ChestShift | undefined)[],
  shoulderWidthPx: number,
): void {
  if (!(shoulderWidthPx > 0)) return;
  const dx: number[] = [];
  const dy: number[] = [];
  frames.forEach((f, i) => {
    const s = shifts[i];
    if (!s) return;
    const b = f.body;
    dx.push((b.leftShoulder.x + b.rightShoulder.x) / 2 - s.x / shoulderWidthPx);
    dy.push((b.leftShoulder.y + b.rightShoulder.y) / 2 - s.y / shoulderWidthPx);
  });
  if (dx.length === 0) return;
  const base = { x: median(dx), y: median(dy) };
  let held: ChestShift | undefined;
  frames.forEach((f, i) => {
    held = shifts[i] ?? held;
    if (!held) return;
    const x = base.x + held.x / shoulderWidthPx;
    const y = base.y + held.y / shoulderWidthPx;
    f.body.leftShoulder = { ...f.body.leftShoulder, x, y };
    f.body.rightShoulder = { ...f.body.rightShoulder, x, y };
  });
}

/** Frames each side of the running median that drops one- and two-frame glitches. */
const GLITCH_FRAMES = 2;

/**
 * A running median of 2-D points (shifts, keypoints), x and y apart, over the measured ones
 * within `half` frames each side (fewer near the ends); unmeasured frames stay undefined.
 */
export function runningMedian(
  points: readonly (ChestPoint | undefined)[],
  half = GLITCH_FRAMES,
): (ChestPoint | undefined)[] {
  return points.map((s, i) => {
    if (!s) return s;
    // The window shrinks symmetrically at the ends (no lag towards the inside).
    const k = Math.min(half, i, points.length - 1 - i);
    const near = points.slice(i - k, i + k + 1).filter((t): t is ChestPoint => t !== undefined);
    return { x: median(near.map((t) => t.x)), y: median(near.map((t) => t.y)) };
  });
}

/** The offset of a parabola's vertex through three equally spaced costs (−0.5…0.5). */
function vertex(a: number, b: number, c: number): number {
  const d = a - 2 * b + c;
  return d > 0 ? Math.max(-0.5, Math.min(0.5, (a - c) / (2 * d))) : 0;
}

function lumaInto(image: ChestImage, out: Float32Array): void {
  const d = image.data;
  for (let p = 0; p < out.length; p++)
    out[p] =
      0.299 * (d[p * 3] as number) +
      0.587 * (d[p * 3 + 1] as number) +
      0.114 * (d[p * 3 + 2] as number);
}

function sd(v: Float32Array): number {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  return Math.sqrt(s / v.length);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
