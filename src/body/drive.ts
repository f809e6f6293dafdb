import { BODY_JOINTS, type BodyJoint, type BodyPose, neutralFrame } from '../controls/index.ts';
import { type ChestKeypoint, type ChestPoint, runningMedian } from './chest.ts';
import { BodyError } from './errors.ts';

/**
 * Motion transfer for the body: a driving video's body keypoints (MoveNet, one detection per
 * frame) retargeted onto a photo's body. Each joint's displacement from the driver's first
 * frame, scaled by the ratio of the two rest shoulder widths, is added to the photo's own
 * keypoint; the Controls body offsets are the same displacement in the photo's shoulder
 * widths (the renderer's unit), so a driver filmed closer or farther moves the photo by the
 * same share of its body. Before that, per frame:
 *
 * - a left/right swap guard: MoveNet swaps the sides of a turning body; a pair (shoulders,
 *   elbows, wrists) is swapped back when the swapped assignment is nearer the last frame's;
 * - missing joints (score below the threshold) hold their last position;
 * - a jitter filter: a running median over {@link DRIVE_MEDIAN_FRAMES} frames each side
 *   (drops one- and two-frame glitches), then a dead band of {@link DRIVE_DEAD_BAND}
 *   shoulder widths (a joint still within it of where it was held stays put).
 */

/** Keypoints below this score are treated as unseen. */
const MIN_SCORE = 0.3;
/** Frames each side of the running median. */
export const DRIVE_MEDIAN_FRAMES = 2;
/** A joint moves only when it leaves this radius (shoulder widths) around its held position. */
export const DRIVE_DEAD_BAND = 0.015;

const PAIRS = [
  ['leftShoulder', 'rightShoulder'],
  ['leftElbow', 'rightElbow'],
  ['leftWrist', 'rightWrist'],
] as const;

/** The photo's body (image px): both shoulders, and the arm joints it shows. */
export interface PhotoBody {
  shoulders: { left: ChestPoint; right: ChestPoint };
  arms?: Partial<Record<BodyJoint, ChestPoint>>;
}

/** One driven frame: the Controls body (offsets in the photo's shoulder widths) and where the photo's joints go (px). */
export interface DrivenFrame {
  body: BodyPose;
  keypoints: Partial<Record<BodyJoint, ChestPoint>>;
}

/**
 * Retargets a driving video's body keypoints (`driver[i]`: frame i's detection, undefined or
 * empty when none) onto `photo`. Throws BodyError BODY_BAD_INPUT when no driver frame shows
 * both shoulders.
 *
 * @example
 * const frames = driveBody(detections.map((d) => d?.keypoints), reference);
 * frames.forEach((f, i) => { sequence.frames[i].body = f.body; });
 */
export function driveBody(
  driver: readonly (readonly ChestKeypoint[] | undefined)[],
  photo: PhotoBody,
): DrivenFrame[] {
  const tracks = guardedTracks(driver);
  const first = tracks.findIndex((t) => t.leftShoulder && t.rightShoulder);
  if (first < 0)
    throw new BodyError('BODY_BAD_INPUT', 'no frame of the driving video shows both shoulders');
  const photoWidth = distance(photo.shoulders.left, photo.shoulders.right);
  if (!(photoWidth > 0)) throw new BodyError('BODY_BAD_INPUT', 'the photo’s shoulders coincide');
  const seen = tracks[first] as Partial<Record<BodyJoint, ChestPoint>>;
  const smoothed = jitterFiltered(
    held(tracks),
    distance(seen.leftShoulder as ChestPoint, seen.rightShoulder as ChestPoint),
  );
  // The driver's rest pose: its first frame with both shoulders, filtered like the rest.
  const rest = smoothed[first] as Partial<Record<BodyJoint, ChestPoint>>;
  const driverWidth = distance(rest.leftShoulder as ChestPoint, rest.rightShoulder as ChestPoint);
  if (!(driverWidth > 0))
    throw new BodyError('BODY_BAD_INPUT', 'the driving video’s shoulders coincide');
  const photoAt: Partial<Record<BodyJoint, ChestPoint>> = {
    ...photo.arms,
    leftShoulder: photo.shoulders.left,
    rightShoulder: photo.shoulders.right,
  };
  const restRoll = lineAngle(rest);
  return smoothed.map((points) => {
    const body = neutralFrame().body;
    const keypoints: DrivenFrame['keypoints'] = {};
    for (const joint of BODY_JOINTS) {
      const at = points[joint];
      const from = rest[joint];
      if (!at || !from) continue;
      const dx = (at.x - from.x) / driverWidth;
      const dy = (at.y - from.y) / driverWidth;
      body[joint] = { x: dx, y: dy, z: 0 };
      const base = photoAt[joint];
      if (base) keypoints[joint] = { x: base.x + dx * photoWidth, y: base.y + dy * photoWidth };
    }
    const roll = lineAngle(points);
    if (roll !== undefined && restRoll !== undefined)
      body.neck = {
        ...body.neck,
        roll: Math.atan2(Math.sin(roll - restRoll), Math.cos(roll - restRoll)),
      };
    return { body, keypoints };
  });
}

/** Per frame, the upper-body joints seen, left/right swaps undone against the last frame. */
function guardedTracks(
  driver: readonly (readonly ChestKeypoint[] | undefined)[],
): Partial<Record<BodyJoint, ChestPoint>>[] {
  const last: Partial<Record<BodyJoint, ChestPoint>> = {};
  return driver.map((keypoints) => {
    const seen: Partial<Record<BodyJoint, ChestPoint>> = {};
    for (const joint of BODY_JOINTS) {
      const k = keypoints?.find((p) => p.name === joint && p.score >= MIN_SCORE);
      if (k) seen[joint] = { x: k.x, y: k.y };
    }
    for (const [l, r] of PAIRS) {
      const a = seen[l];
      const b = seen[r];
      const pa = last[l];
      const pb = last[r];
      if (
        a &&
        b &&
        pa &&
        pb &&
        distance(a, pb) + distance(b, pa) < distance(a, pa) + distance(b, pb)
      ) {
        seen[l] = b;
        seen[r] = a;
      }
    }
    Object.assign(last, seen);
    return seen;
  });
}

/** Joints unseen in a frame hold their last seen position (undefined before the first). */
function held(
  tracks: Partial<Record<BodyJoint, ChestPoint>>[],
): Partial<Record<BodyJoint, ChestPoint>>[] {
  const last: Partial<Record<BodyJoint, ChestPoint>> = {};
  return tracks.map((seen) => {
    Object.assign(last, seen);
    return { ...last };
  });
}

/** The running median, then the dead band (radius in px = DRIVE_DEAD_BAND × `unitPx`). */
function jitterFiltered(
  tracks: Partial<Record<BodyJoint, ChestPoint>>[],
  unitPx: number,
): Partial<Record<BodyJoint, ChestPoint>>[] {
  const out = tracks.map(() => ({}) as Partial<Record<BodyJoint, ChestPoint>>);
  const band = DRIVE_DEAD_BAND * unitPx;
  for (const joint of BODY_JOINTS) {
    const filtered = runningMedian(
      tracks.map((t) => t[joint]),
      DRIVE_MEDIAN_FRAMES,
    );
    let kept: ChestPoint | undefined;
    filtered.forEach((p, i) => {
      if (!p) return;
      if (!kept || distance(p, kept) > band) kept = p;
      (out[i] as Partial<Record<BodyJoint, ChestPoint>>)[joint] = kept;
    });
  }
  return out;
}

/** The shoulder line's angle (image axes), when both shoulders are known. */
function lineAngle(points: Partial<Record<BodyJoint, ChestPoint>>): number | undefined {
  const l = points.leftShoulder;
  const r = points.rightShoulder;
  return l && r ? Math.atan2(l.y - r.y, l.x - r.x) : undefined;
}

function distance(a: ChestPoint, b: ChestPoint): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
