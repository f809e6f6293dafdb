import { FRAME_STATUSES, STATUS_ID } from '../dub/index.ts';
import { ReplicaError } from './errors.ts';

/** Limits a clip must meet to become a video avatar; defaults in {@link REPLICA_LIMITS}. */
export interface ReplicaLimits {
  /** Shortest footage, ms. Default 5 000. */
  minDurationMs: number;
  /** Longest footage, ms. Default 300 000 (5 min). */
  maxDurationMs: number;
  /** Largest share of frames showing a second face. Default 0.1. */
  maxMultipleShare: number;
  /** Largest share of frames without a usable face (lost, none, too small, turned). Default 0.25. */
  maxLostShare: number;
  /** The longest stretch of usable frames within one shot must last at least this, ms. Default 2 000. */
  minRunMs: number;
  /** A usable frame within these head angles counts as frontal (radians). Defaults 20°, 20°. */
  frontalYawRad: number;
  frontalPitchRad: number;
}

export const REPLICA_LIMITS: Readonly<ReplicaLimits> = Object.freeze({
  minDurationMs: 5_000,
  maxDurationMs: 300_000,
  maxMultipleShare: 0.1,
  maxLostShare: 0.25,
  minRunMs: 2_000,
  frontalYawRad: (20 * Math.PI) / 180,
  frontalPitchRad: (20 * Math.PI) / 180,
});

/** What tracking learnt about the footage, as the checks need it. */
export interface FootageFacts {
  durationMs: number;
  fps: number;
  variableFrameRate: boolean;
  /** Status id per stored frame (src/dub `STATUS_ID`). */
  statuses: Uint8Array;
  shots: Int32Array;
  /** Usable frames whose head is within the frontal limits. */
  frontalFrames: number;
}

/** A run of consecutive usable frames within one shot (inclusive). */
export interface UsableRun {
  first: number;
  last: number;
}

/**
 * Checks the footage and throws the first problem as a {@link ReplicaError}: a duration
 * outside the limits, a variable frame rate, a second person, a face lost too often, no
 * frontal frame, or cuts and losses that leave no stretch long enough to play. Cuts alone
 * are accepted: playback never runs across one (it joins or reverses instead).
 */
export function checkFootage(
  facts: FootageFacts,
  limits: ReplicaLimits = REPLICA_LIMITS,
): UsableRun[] {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (facts.durationMs < limits.minDurationMs) {
    throw new ReplicaError(
      'REPLICA_TOO_SHORT',
      `the clip lasts ${seconds(facts.durationMs)}; a video avatar needs at least ${seconds(limits.minDurationMs)}`,
      { details: { durationMs: facts.durationMs, minDurationMs: limits.minDurationMs } },
    );
  }
  if (facts.durationMs > limits.maxDurationMs) {
    throw new ReplicaError(
      'REPLICA_TOO_LONG',
      `the clip lasts ${seconds(facts.durationMs)}; at most ${seconds(limits.maxDurationMs)} is accepted`,
      { details: { durationMs: facts.durationMs, maxDurationMs: limits.maxDurationMs } },
    );
  }
  if (facts.variableFrameRate) {
    throw new ReplicaError(
      'REPLICA_VARIABLE_FRAME_RATE',
      'the clip has a variable frame rate; re-encode it at a constant rate (e.g. ffmpeg -vf fps=25)',
    );
  }
  const n = facts.statuses.length;
  const counts = new Array<number>(FRAME_STATUSES.length).fill(0);
  for (const s of facts.statuses) counts[s] = (counts[s] as number) + 1;
  const share = (id: number) => (counts[id] as number) / Math.max(1, n);
  const multiple = share(STATUS_ID['multiple-faces']);
  if (multiple > limits.maxMultipleShare) {
    throw new ReplicaError(
      'REPLICA_MULTIPLE_PEOPLE',
      `${Math.round(multiple * 100)} % of the frames show more than one person; a video avatar needs one`,
      { details: { share: multiple } },
    );
  }
  const lost = 1 - share(STATUS_ID.dubbed) - multiple;
  if (lost > limits.maxLostShare) {
    throw new ReplicaError(
      'REPLICA_FACE_LOST',
      `the face is lost, turned away or too small in ${Math.round(lost * 100)} % of the frames (at most ${Math.round(limits.maxLostShare * 100)} %)`,
      { details: { share: lost } },
    );
  }
  if (facts.frontalFrames === 0) {
    throw new ReplicaError(
      'REPLICA_NO_FRONTAL',
      'no frame shows the face roughly frontal (within 20° of the camera)',
    );
  }
  const runs = usableRuns(facts.statuses, facts.shots);
  const longest = Math.max(0, ...runs.map((r) => r.last - r.first + 1));
  const longestMs = (longest * 1000) / facts.fps;
  if (longestMs < limits.minRunMs) {
    throw new ReplicaError(
      'REPLICA_TOO_FRAGMENTED',
      `cuts and lost frames leave at most ${seconds(longestMs)} of uninterrupted footage; at least ${seconds(limits.minRunMs)} is needed`,
      { details: { longestRunMs: longestMs } },
    );
  }
  return runs;
}

/** Runs of consecutive usable frames, split at cuts (a shot change). */
export function usableRuns(statuses: ArrayLike<number>, shots: ArrayLike<number>): UsableRun[] {
  const runs: UsableRun[] = [];
  let first = -1;
  for (let i = 0; i <= statuses.length; i++) {
    const ok = i < statuses.length && statuses[i] === STATUS_ID.dubbed;
    const sameShot = first >= 0 && i < statuses.length && shots[i] === shots[i - 1];
    if (first >= 0 && (!ok || !sameShot)) {
      runs.push({ first, last: i - 1 });
      first = -1;
    }
    if (ok && first < 0) first = i;
  }
  return runs;
}
