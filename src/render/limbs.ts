import type { BodyPose } from '../controls/index.ts';
import type { Point } from './body.ts';
import { smoothstep } from './mouth.ts';
import type { TorsoHold } from './torso.ts';

/**
 * The limb pass: when the reference shows its arms (elbows, and wrists, seen by the body
 * model), each arm follows the Controls' elbows and wrists — a segment warp.
 *
 * Each arm is two rigid segments, the upper arm (shoulder → elbow) and the forearm with the
 * hand (elbow → wrist, carried on past the wrist by {@link HAND_LENGTH} forearms). A segment
 * moves by the similarity that takes its reference ends to their driven ends (each joint at
 * its reference position + its Controls offset × the shoulder width). For an output pixel,
 * each segment proposes the reference pixel it came from; the proposal counts by how deep it
 * lands inside that segment's capsule in the reference (full within the limb's radius,
 * fading out over {@link EDGE}) and on the person (the matte at the proposal: the capsule's
 * background corners are not arm), and the counted proposals are blended, so the elbow bends
 * smoothly. The upper arm fades in over its first quarter from the shoulder, which the torso
 * pass owns. Where the arm was and no longer is, the background plate
 * (the matte's fill) shows — without a matte the arm is drawn on top and its old place kept.
 *
 * An arm whose elbow or hand the reference holds in front of the torso is not moved: what
 * is behind it is not in the photo ({@link inFrontOfTorso}). Not modelled: an arm that moves
 * in front of the torso covers it (no depth order), hands' own pose (MoveNet has wrists only), depth order between the two arms.
 */

/** The arm joints the pass moves. */
export const ARM_JOINTS = ['leftElbow', 'leftWrist', 'rightElbow', 'rightWrist'] as const;
export type ArmJoint = (typeof ARM_JOINTS)[number];

/** The reference's joints, output px (source space): both shoulders, any confident arm joints. */
export interface LimbJoints {
  leftShoulder: Point;
  rightShoulder: Point;
  leftElbow?: Point;
  leftWrist?: Point;
  rightElbow?: Point;
  rightWrist?: Point;
}

/** The hand past the wrist, in forearm lengths. */
const HAND_LENGTH = 0.4;
/** Limb radius in shoulder widths: upper arm, forearm and hand. */
const UPPER_ARM_RADIUS = 0.2;
const FOREARM_RADIUS = 0.16;
/** The capsule's soft edge, as a fraction of the radius beyond it. */
const EDGE = 0.35;
/** The upper arm's weight rises from 0 at the shoulder to full at this fraction of its length. */
const SHOULDER_RAMP = 0.25;
/** A segment's length may change by at most this factor (2-D keypoints are noisy). */
const MAX_STRETCH = 1.3;
/** Matte values at or below this are background; from {@link PERSON_FULL} up, person. */
const PERSON_MIN = 24;
const PERSON_FULL = 128;
/** Joint displacements below this (px) leave the frame as it is. */
const MIN_MOTION_PX = 0.05;

type JointName = 'leftShoulder' | 'rightShoulder' | ArmJoint;

interface Segment {
  from: JointName;
  to: JointName;
  /** Reference ends (the forearm's `b` is the hand's end). */
  a: Point;
  b: Point;
  radius: number;
  /** Whether `b` extends past the `to` joint by {@link HAND_LENGTH} (the forearm and hand). */
  hand: boolean;
  ramp: number;
}

/** A segment's motion this frame: p_ref = a + M · (p_out − a'). */
interface Motion {
  ax: number;
  ay: number;
  m00: number;
  m01: number;
  m10: number;
  m11: number;
}

export class LimbWarp {
  readonly width: number;
  readonly height: number;
  #segments: Segment[] = [];
  #joints: LimbJoints | undefined;
  #shoulderWidth = 0;
  readonly #motions: Motion[] = [];

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
  }

  /** Lays out the arms of a reference (undefined or no confident elbow: nothing moves). */
  setReference(joints: LimbJoints | undefined): void {
    this.#joints = joints;
    this.#segments = [];
    if (!joints) return;
    const sw = Math.hypot(
      joints.leftShoulder.x - joints.rightShoulder.x,
      joints.leftShoulder.y - joints.rightShoulder.y,
    );
    this.#shoulderWidth = sw;
    if (!(sw > 1)) return;
    for (const side of ['left', 'right'] as const) {
      const shoulder = `${side}Shoulder` as const;
      const elbow = `${side}Elbow` as const;
      const wrist = `${side}Wrist` as const;
      const s = joints[shoulder];
      const e = joints[elbow];
      const w = joints[wrist];
      if (!e || inFrontOfTorso(e, joints)) continue;
      if (w && inFrontOfTorso(handEnd(e, w), joints)) continue;
      this.#segments.push(segment(shoulder, elbow, s, e, UPPER_ARM_RADIUS * sw, false));
      if (w)
        this.#segments.push(segment(elbow, wrist, e, handEnd(e, w), FOREARM_RADIUS * sw, true));
    }
  }

  /** How many limb segments the reference has (0: the pass never moves anything). */
  get segmentCount(): number {
    return this.#segments.length;
  }

  /**
   * Moves the arms for one frame: reads `source` (the face-warped reference, RGB) and writes
   * into `out` (which holds the frame so far: face and torso). Returns false when nothing
   * moved (then `out` is untouched).
   */
  apply(body: BodyPose, source: Uint8Array, out: Uint8Array, hold?: TorsoHold): boolean {
    const joints = this.#joints;
    if (!joints || this.#segments.length === 0) return false;
    const moved = (name: JointName): Point => {
      const at = joints[name] as Point;
      const o = body[name];
      return { x: at.x + o.x * this.#shoulderWidth, y: at.y + o.y * this.#shoulderWidth };
    };
    let largest = 0;
    this.#motions.length = 0;
    const box = { x0: this.width, y0: this.height, x1: -1, y1: -1 };
    for (const s of this.#segments) {
      const from = moved(s.from);
      const to = s.hand ? handEnd(from, moved(s.to)) : moved(s.to);
      largest = Math.max(largest, Math.hypot(from.x - s.a.x, from.y - s.a.y));
      largest = Math.max(largest, Math.hypot(to.x - s.b.x, to.y - s.b.y));
      this.#motions.push(motionOf(s, from, to));
      const reach = s.radius * (1 + EDGE) + 1;
      for (const p of [s.a, s.b, from, to]) {
        box.x0 = Math.min(box.x0, p.x - reach);
        box.y0 = Math.min(box.y0, p.y - reach);
        box.x1 = Math.max(box.x1, p.x + reach);
        box.y1 = Math.max(box.y1, p.y + reach);
      }
    }
    if (largest < MIN_MOTION_PX) return false;
    const x0 = Math.max(0, Math.floor(box.x0));
    const x1 = Math.min(this.width - 1, Math.ceil(box.x1));
    const y0 = Math.max(0, Math.floor(box.y0));
    const y1 = Math.min(this.height - 1, Math.ceil(box.y1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) this.#pixel(x, y, source, out, hold);
    }
    return true;
  }

  /** How much a reference point is person (0–1; nearest matte pixel, clamped). */
  #matteAt(matte: Uint8Array, x: number, y: number): number {
    const xi = Math.min(this.width - 1, Math.max(0, Math.floor(x)));
    const yi = Math.min(this.height - 1, Math.max(0, Math.floor(y)));
    return person(matte[yi * this.width + xi] as number);
  }

  /** One output pixel: vacate the reference's arm, then draw the moved arm over it. */
  #pixel(x: number, y: number, source: Uint8Array, out: Uint8Array, hold?: TorsoHold): void {
    const px = x + 0.5;
    const py = y + 0.5;
    let total = 0;
    let sx = 0;
    let sy = 0;
    let was = 0;
    for (let i = 0; i < this.#segments.length; i++) {
      const s = this.#segments[i] as Segment;
      const m = this.#motions[i] as Motion;
      const dx = px - m.ax;
      const dy = py - m.ay;
      const qx = s.a.x + m.m00 * dx + m.m01 * dy;
      const qy = s.a.y + m.m10 * dx + m.m11 * dy;
      // A proposal counts as much as it lands inside the segment, on the person.
      const w = membership(s, qx, qy) * (hold ? this.#matteAt(hold.matte, qx, qy) : 1);
      total += w;
      sx += w * qx;
      sy += w * qy;
      was = Math.max(was, membership(s, px, py));
    }
    if (total < 1e-3 && was < 1e-3) return;
    const o = (y * this.width + x) * 3;
    const p = y * this.width + x;
    // Where the arm was: the background behind it (the plate), as much as the matte says arm.
    const vacate = hold ? Math.min(1, was) * person(hold.matte[p] as number) : 0;
    if (total < 1e-3) {
      if (vacate > 0) blendInto(out, o, hold?.plate as Uint8Array, o, vacate);
      return;
    }
    sx /= total;
    sy /= total;
    const alpha = Math.min(1, total);
    for (let k = 0; k < 3; k++) {
      let base = out[o + k] as number;
      if (vacate > 0) base += vacate * ((hold?.plate[o + k] as number) - base);
      const arm = bilinear(source, this.width, this.height, sx - 0.5, sy - 0.5, k);
      const v = base + alpha * (arm - base);
      out[o + k] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
    }
  }
}

/**
 * Whether an arm's elbow or hand lies in front of the torso: below the
 * shoulder line and between the shoulder joints. What is
 * behind such an arm (the chest) is not in the photo, so moving it would open a hole the
 * background plate cannot fill; it is left to the torso pass.
 */
function inFrontOfTorso(end: Point, joints: LimbJoints): boolean {
  const { leftShoulder: l, rightShoulder: r } = joints;
  return end.x > Math.min(l.x, r.x) && end.x < Math.max(l.x, r.x) && end.y > Math.min(l.y, r.y);
}

/**
 * Person-ness from the matte (0–255): full from {@link PERSON_FULL} up. The segmentation runs
 * at low resolution, so a thin forearm reads half-transparent; taken as is, the moved arm
 * came out see-through and its old place kept a ghost.
 */
function person(matte: number): number {
  return smoothstep(PERSON_MIN, PERSON_FULL, matte);
}

function segment(
  from: JointName,
  to: JointName,
  a: Point,
  b: Point,
  radius: number,
  hand: boolean,
): Segment {
  return { from, to, a, b, radius, hand, ramp: hand ? 0 : SHOULDER_RAMP };
}

/** The hand's end: past the wrist along the forearm. */
function handEnd(elbow: Point, wrist: Point): Point {
  return {
    x: wrist.x + HAND_LENGTH * (wrist.x - elbow.x),
    y: wrist.y + HAND_LENGTH * (wrist.y - elbow.y),
  };
}

/** The inverse similarity taking the driven segment (a', b') back onto the reference (a, b). */
function motionOf(s: Segment, a2: Point, b2: Point): Motion {
  const rx = s.b.x - s.a.x;
  const ry = s.b.y - s.a.y;
  const nx = b2.x - a2.x;
  const ny = b2.y - a2.y;
  const lr = Math.hypot(rx, ry);
  const ln = Math.hypot(nx, ny);
  // Reference length over driven length, clamped: q − a = (1/k) R(−θ) (p − a').
  const inv = ln > 1e-6 ? Math.min(MAX_STRETCH, Math.max(1 / MAX_STRETCH, lr / ln)) : 1;
  const theta = ln > 1e-6 ? Math.atan2(ry, rx) - Math.atan2(ny, nx) : 0;
  const c = Math.cos(theta) * inv;
  const sn = Math.sin(theta) * inv;
  return { ax: a2.x, ay: a2.y, m00: c, m01: -sn, m10: sn, m11: c };
}

/** How much a reference point belongs to the segment: 1 inside its capsule, soft edge, ramps. */
function membership(s: Segment, x: number, y: number): number {
  const ex = s.b.x - s.a.x;
  const ey = s.b.y - s.a.y;
  const len2 = ex * ex + ey * ey;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - s.a.x) * ex + (y - s.a.y) * ey) / len2)) : 0;
  const d = Math.hypot(x - s.a.x - t * ex, y - s.a.y - t * ey);
  if (d >= s.radius * (1 + EDGE)) return 0;
  const inside = 1 - smoothstep(s.radius, s.radius * (1 + EDGE), d);
  return s.ramp > 0 ? inside * smoothstep(0, s.ramp, t) : inside;
}

function bilinear(
  image: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  k: number,
): number {
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.min(width - 2, Math.floor(cx));
  const y0 = Math.min(height - 2, Math.floor(cy));
  const fx = cx - x0;
  const fy = cy - y0;
  const a = (y0 * width + x0) * 3 + k;
  const b = a + 3;
  const c = a + width * 3;
  const d = c + 3;
  const top = (image[a] as number) + ((image[b] as number) - (image[a] as number)) * fx;
  const bottom = (image[c] as number) + ((image[d] as number) - (image[c] as number)) * fx;
  return top + (bottom - top) * fy;
}

function blendInto(out: Uint8Array, o: number, from: Uint8Array, f: number, t: number): void {
  for (let k = 0; k < 3; k++) {
    const v = (out[o + k] as number) + t * ((from[f + k] as number) - (out[o + k] as number));
    out[o + k] = v + 0.5;
  }
}
