import { BODY_JOINTS, CONTROLS_FPS, type ControlsFrame } from '../controls/index.ts';
import type { DetectedBody } from './landmarker.ts';
import { OneEuroFilter, type OneEuroParams } from './one-euro.ts';

/** Options for {@link BodyTracker}. */
export interface BodyTrackerOptions {
  /** Keypoints below this score are ignored. Default 0.3. */
  minKeypointScore?: number;
  /** One-Euro smoothing of the body channels, or false. */
  smoothing: OneEuroParams | false;
}

const CHANNELS = 1 + 2 * BODY_JOINTS.length;

/**
 * The upper-body part of tracking: a rest pose from calibration samples (median of each
 * joint seen in at least half of them), then per frame the joints' offsets from it in
 * shoulder widths (image axes) and the neck roll (the shoulder line's tilt from its rest
 * angle; pitch and yaw are not observable from 2-D keypoints and stay 0). A joint that is
 * unseen or below the score threshold holds its last value. Used by {@link FaceTracker};
 * usable alone for body-only tracking.
 */
export class BodyTracker {
  readonly #minScore: number;
  readonly #filter: OneEuroFilter | undefined;
  readonly #samples: DetectedBody[] = [];
  readonly #values = new Float64Array(CHANNELS);
  #rest: Map<string, { x: number; y: number }> | undefined;
  #shoulderWidthPx = 0;

  constructor(options: BodyTrackerOptions) {
    this.#minScore = options.minKeypointScore ?? 0.3;
    this.#filter = options.smoothing
      ? new OneEuroFilter(CHANNELS, CONTROLS_FPS, options.smoothing)
      : undefined;
  }

  /** Adds a calibration sample (before {@link calibrate}). */
  addSample(body: DetectedBody): void {
    this.#samples.push(body);
  }

  /** Fixes the rest pose from the samples; without both shoulders the body is not tracked. */
  calibrate(): void {
    const rest = new Map<string, { x: number; y: number }>();
    for (const joint of BODY_JOINTS) {
      const points = this.#samples
        .map((b) => b.keypoints.find((k) => k.name === joint))
        .filter((k): k is NonNullable<typeof k> => k !== undefined && k.score >= this.#minScore);
      if (points.length >= Math.max(1, this.#samples.length / 2)) {
        rest.set(joint, { x: median(points.map((p) => p.x)), y: median(points.map((p) => p.y)) });
      }
    }
    const l = rest.get('leftShoulder');
    const r = rest.get('rightShoulder');
    this.#shoulderWidthPx = l && r ? Math.hypot(l.x - r.x, l.y - r.y) : 0;
    this.#rest = this.#shoulderWidthPx > 0 ? rest : undefined;
    this.#samples.length = 0;
  }

  /** Shoulder width at rest, px (0 before calibration or without shoulders). */
  get shoulderWidthPx(): number {
    return this.#shoulderWidthPx;
  }

  /** Writes this frame's body channels into `frame` (nothing before a rest pose exists). */
  apply(frame: ControlsFrame, body: DetectedBody | undefined): void {
    const rest = this.#rest;
    if (!rest) return;
    const values = this.#values;
    const seen = (name: string) => {
      const k = body?.keypoints.find((p) => p.name === name);
      return k && k.score >= this.#minScore ? k : undefined;
    };
    BODY_JOINTS.forEach((joint, j) => {
      const at = rest.get(joint);
      const k = seen(joint);
      if (!at || !k) return;
      values[1 + 2 * j] = (k.x - at.x) / this.#shoulderWidthPx;
      values[2 + 2 * j] = (k.y - at.y) / this.#shoulderWidthPx;
    });
    const l = seen('leftShoulder');
    const r = seen('rightShoulder');
    const restL = rest.get('leftShoulder');
    const restR = rest.get('rightShoulder');
    if (l && r && restL && restR) {
      // The subject's left shoulder is on the image's right; a tilt to the subject's left
      // (positive roll) lowers it.
      const now = Math.atan2(l.y - r.y, l.x - r.x);
      const at = Math.atan2(restL.y - restR.y, restL.x - restR.x);
      values[0] = Math.atan2(Math.sin(now - at), Math.cos(now - at));
    }
    const out = Float64Array.from(values);
    this.#filter?.process(out);
    frame.body.neck = { pitch: 0, yaw: 0, roll: out[0] as number };
    BODY_JOINTS.forEach((joint, j) => {
      frame.body[joint] = { x: out[1 + 2 * j] as number, y: out[2 + 2 * j] as number, z: 0 };
    });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
