import { blendshapeVector } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import {
  AVATAR_DEFAULTS,
  type DetectedFace,
  FACE_VERTEX_COUNT,
  type FaceLandmarker,
  type FaceModel,
  FaceTracker,
  interOcularPx,
  type TrackedFrame,
} from '../face/index.ts';
import { openVideoFrames, thumbnail, thumbnailDistance, type VideoFrame } from '../media/index.ts';
import { type FacePlacement, faceJumped } from './cuts.ts';
import { DubError } from './errors.ts';
import { STATUS_ID } from './segments.ts';
import type { TrackStore } from './track-store.ts';

/** Options of the tracking pass; defaults in {@link TRACK_PASS_DEFAULTS}. */
export interface TrackPassOptions {
  /** Frames are tracked with their longest side at most this, px. Default 512. */
  trackSizePx?: number;
  /** Smallest face re-animated: eye distance in source pixels. Default 20. */
  minInterOcularPx?: number;
  /** Head turn / nod / tilt limits (radians) past which frames pass through. Defaults: the avatar limits (35°, 30°, 45°). */
  maxYawRad?: number;
  maxPitchRad?: number;
  maxRollRad?: number;
  /** Mean fit residual, as a share of the eye distance, above which tracking counts as lost. Default 0.06. */
  maxResidualShare?: number;
  /** A second face at least this share of the largest face's area makes the frame ambiguous. Default 0.25. */
  secondFaceShare?: number;
  /** Mean grey-level change of a 16 × 16 thumbnail that counts as a cut. Default 28. */
  cutThreshold?: number;
  /** Most source frames accepted (DUB_VIDEO_TOO_LONG past it). Default 90 000 (1 h at 25 fps). */
  maxFrames?: number;
  /** Stop after the first frame later than this (ms from the start): the rest is not needed. Default: track all. */
  stopAfterMs?: number;
  signal?: AbortSignal;
  /** Called after each source frame. */
  onProgress?: (framesDone: number, framesExpected: number | undefined) => void;
  /** Called with each decoded frame at tracking size, awaited (a video avatar stores them). */
  onDecodedFrame?: (frame: VideoFrame) => Promise<void> | void;
  /** Called whenever more frames are final (the dub's pass 2 starts before pass 1 ends). */
  onSettled?: (soFar: TrackSoFar) => void;
}

/**
 * Pass 1 while it runs: live arrays (read them, never keep or change them). Frames
 * 0 … settledFrames − 1 are final: their status, shot, eye distance and lip gap; their
 * record is in the store; their shot's identity is known.
 */
export interface TrackSoFar {
  settledFrames: number;
  /** Presentation time of each decoded frame, ms (not from the first: subtract `timesMs[0]`). */
  timesMs: readonly number[];
  statuses: readonly number[];
  shots: readonly number[];
  interOcularPx: readonly number[];
  mouthGaps: readonly number[];
  identities: readonly (Float32Array | undefined)[];
  trackWidth: number;
  trackHeight: number;
}

export const TRACK_PASS_DEFAULTS = Object.freeze({
  trackSizePx: 512,
  minInterOcularPx: 20,
  maxYawRad: AVATAR_DEFAULTS.maxYawRad,
  maxPitchRad: AVATAR_DEFAULTS.maxPitchRad,
  maxRollRad: AVATAR_DEFAULTS.maxRollRad,
  maxResidualShare: 0.06,
  secondFaceShare: 0.25,
  cutThreshold: 28,
  maxFrames: 90_000,
});

/** What the tracking pass learnt about every source frame. */
export interface TrackPassResult {
  /** Presentation time of each source frame, ms from the first. */
  timesMs: Float64Array;
  /** Status id per source frame (segments.ts `STATUS_ID`). */
  statuses: Uint8Array;
  /** Shot number per source frame (a cut starts a new shot). */
  shots: Int32Array;
  /** Eye distance of the tracked face per source frame, tracking px (NaN without a face). */
  interOcularPx: Float32Array;
  /** Inner-lip gap over the eye distance per source frame, from the landmarks (NaN without a face). */
  mouthGaps: Float32Array;
  /** Per shot, the person's calibrated neutral shape (468 × 3 cm). */
  identities: Float32Array[];
  /** Source frames where a new shot starts (cuts), not counting frame 0. */
  cuts: number[];
  /** Tracking frame size, px. */
  trackWidth: number;
  trackHeight: number;
  /** Frames whose picture repeated the previous one exactly (detection reused). */
  repeatedFrames: number;
  /** Tracking stopped at `stopAfterMs`, before the end of the video. */
  stoppedEarly: boolean;
  timingsMs: { decode: number; detect: number; fit: number };
}

interface Pending {
  landmarks: Float32Array;
  iodPx: number;
}

/** A decoded frame whose landmarks are under way (none when it repeats the previous picture). */
interface DecodedFrame {
  frameIndex: number;
  /** Its picture changed from the previous one's past the cut threshold (or it is the first). */
  cut: boolean;
  detection: Promise<DetectedFace[]> | undefined;
}

/**
 * Frames whose landmarks may be under way while an earlier frame is fitted. The landmark
 * thread answers in order, so the landmarks are the same for any value; 4 keeps both cores
 * busier than 2 (pass 1 of the dub bench's 8 s clip: 3.26 → 3.0 s, output frames identical).
 */
const IN_FLIGHT = 4;

/**
 * Pass 1: decodes every source frame at tracking size, finds the face (Human), splits the
 * video into shots at cuts (a picture change or a face jump), fits each shot with its own
 * {@link FaceTracker} (no smoothing: the warp needs each frame's own mouth), and writes one
 * record per trackable frame to `store`. Frames that cannot be dubbed get a status instead.
 * Memory: the tracker's calibration buffer (≈ 100 frames of landmarks), not frames.
 */
export async function trackSource(
  path: string,
  landmarker: FaceLandmarker,
  model: FaceModel,
  store: TrackStore,
  options: TrackPassOptions & { sourceScale: number },
): Promise<TrackPassResult> {
  const o = { ...TRACK_PASS_DEFAULTS, ...options };
  const { signal } = options;
  // a fresh start: the landmarker's tracked crops belong to the previous video
  landmarker.reset();
  const video = await openVideoFrames(path, { fps: 'source', maxSize: o.trackSizePx, signal });
  const trackWidth = video.width;
  const trackHeight = video.height;
  const times: number[] = [];
  const statuses: number[] = [];
  const shots: number[] = [];
  const iods: number[] = [];
  const gaps: number[] = [];
  const identities: Float32Array[] = [];
  const cuts: number[] = [];
  const pending = new Map<number, Pending>();
  const weights = new Float32Array(52);
  const timings = { decode: 0, detect: 0, fit: 0 };
  let repeatedFrames = 0;
  let stoppedEarly = false;
  let tracker: FaceTracker | undefined;
  let shot = -1;
  let previousRgb: Uint8Array | undefined;
  let previousFaces: Awaited<ReturnType<FaceLandmarker['detect']>>['faces'] = [];
  let previousThumb: Float32Array | undefined;
  let previousPlacement: FacePlacement | undefined;
  let thumb: Float32Array = new Float32Array(256);
  const minIodTrackPx = o.minInterOcularPx / options.sourceScale;

  const settle = async (frames: TrackedFrame[]) => {
    // frames come out of a tracker once it has calibrated: its shot's identity is known
    if (tracker?.identity && !identities[shot]) identities[shot] = tracker.identity;
    for (const frame of frames) {
      const i = frame.frameIndex;
      const item = pending.get(i);
      pending.delete(i);
      if (!item || !frame.pose || statuses[i] !== STATUS_ID.dubbed) continue;
      const p = frame.pose;
      if (
        Math.abs(p.yaw) > o.maxYawRad ||
        Math.abs(p.pitch) > o.maxPitchRad ||
        Math.abs(p.roll) > o.maxRollRad
      ) {
        statuses[i] = STATUS_ID['pose-extreme'];
        continue;
      }
      if (!(frame.residualPx <= o.maxResidualShare * item.iodPx)) {
        statuses[i] = STATUS_ID['track-lost'];
        continue;
      }
      blendshapeVector(frame.controls, weights);
      await store.write(i, { weights, pose: p, landmarks: item.landmarks });
    }
  };
  const endShot = async () => {
    if (!tracker) return;
    const t = performance.now();
    const rest = tracker.flush();
    timings.fit += performance.now() - t;
    await settle(rest);
    identities[shot] = tracker.identity ?? Float32Array.from(model.neutral);
    tracker = undefined;
  };
  const soFar: TrackSoFar = {
    settledFrames: 0,
    timesMs: times,
    statuses,
    shots,
    interOcularPx: iods,
    mouthGaps: gaps,
    identities,
    trackWidth,
    trackHeight,
  };
  /** Frames before the first one still waiting for its fit are final. */
  const published = () => {
    if (!options.onSettled) return;
    const waiting = pending.keys().next();
    soFar.settledFrames = waiting.done ? statuses.length : waiting.value;
    options.onSettled(soFar);
  };
  const startShot = async (index: number) => {
    await endShot();
    shot++;
    if (index > 0) cuts.push(index);
    tracker = new FaceTracker(model, {
      frameWidth: trackWidth,
      frameHeight: trackHeight,
      smoothing: false,
    });
    previousPlacement = undefined;
  };

  // Pipelined: up to IN_FLIGHT frames' landmarks run (on the landmarker's thread when it has
  // one) while earlier frames are fitted in order.
  const track = async (p: DecodedFrame) => {
    const i = p.frameIndex;
    if (p.cut) await startShot(i);
    let faces = previousFaces;
    if (p.detection) {
      const td = performance.now();
      faces = await p.detection;
      timings.detect += performance.now() - td;
    }
    previousFaces = faces;
    const main = faces[0];
    let status: number = STATUS_ID.dubbed;
    let input: Float32Array | undefined;
    let iod = Number.NaN;
    let gap = Number.NaN;
    if (!main) status = STATUS_ID['no-face'];
    else {
      const area = main.box.width * main.box.height;
      const rival = faces
        .slice(1)
        .some((f) => f.box.width * f.box.height >= o.secondFaceShare * area);
      const iodPx = interOcularPx(model, main.landmarks);
      iod = iodPx;
      gap = landmarkLipGap(model, main.landmarks) / iodPx;
      const placement = {
        x: main.box.x + main.box.width / 2,
        y: main.box.y + main.box.height / 2,
        interOcularPx: iodPx,
      };
      if (previousPlacement && faceJumped(previousPlacement, placement)) await startShot(i);
      previousPlacement = placement;
      if (rival) status = STATUS_ID['multiple-faces'];
      else if (iodPx < minIodTrackPx) status = STATUS_ID['face-too-small'];
      else {
        input = main.landmarks;
        pending.set(i, { landmarks: xyOnly(main.landmarks), iodPx });
      }
    }
    statuses.push(status);
    shots.push(shot);
    iods.push(iod);
    gaps.push(gap);
    const tf = performance.now();
    const ready = (tracker as FaceTracker).process({ frameIndex: i, landmarks: input });
    timings.fit += performance.now() - tf;
    await settle(ready);
    published();
    options.onProgress?.(i + 1, video.expectedFrames);
  };

  const inFlight: DecodedFrame[] = [];
  try {
    let t = performance.now();
    for await (const frame of video) {
      timings.decode += performance.now() - t;
      throwIfAborted(signal);
      const i = frame.frameIndex;
      if (i >= o.maxFrames) {
        throw new DubError(
          'DUB_VIDEO_TOO_LONG',
          `the video has more than ${o.maxFrames} frames (the limit)`,
          { details: { maxFrames: o.maxFrames } },
        );
      }
      times.push(frame.timeMs);
      await options.onDecodedFrame?.(frame);
      // a view on the frame, not Buffer.from(frame.rgb): that copies the frame to compare it
      const repeated =
        previousRgb !== undefined &&
        Buffer.from(frame.rgb.buffer, frame.rgb.byteOffset, frame.rgb.byteLength).equals(
          previousRgb,
        );
      thumb = thumbnail(frame.rgb, frame.width, frame.height, thumb);
      const cut =
        previousThumb === undefined || thumbnailDistance(thumb, previousThumb) > o.cutThreshold;
      [thumb, previousThumb] = [previousThumb ?? new Float32Array(256), thumb];
      if (repeated) repeatedFrames++;
      const detection = repeated
        ? undefined
        : landmarker
            .detect(
              { width: frame.width, height: frame.height, data: frame.rgb },
              { body: false, signal },
            )
            .then((d) => d.faces);
      detection?.catch(() => undefined); // awaited in order by track()
      previousRgb = frame.rgb;
      inFlight.push({ frameIndex: i, cut, detection });
      if (inFlight.length > IN_FLIGHT) await track(inFlight.shift() as DecodedFrame);
      if (
        options.stopAfterMs !== undefined &&
        frame.timeMs - (times[0] as number) > options.stopAfterMs
      ) {
        stoppedEarly = true;
        break;
      }
      t = performance.now();
    }
    for (const p of inFlight.splice(0)) await track(p);
  } finally {
    // a failure leaves detections in flight: let them finish before the landmarker is reused
    await Promise.all(inFlight.map((p) => p.detection?.catch(() => undefined)));
  }
  await endShot();
  published();
  if (times.length === 0) {
    throw new DubError('DUB_NO_FACE', `${path} has no decodable video frames`);
  }
  const t0 = times[0] as number;
  return {
    timesMs: Float64Array.from(times, (v) => v - t0),
    statuses: Uint8Array.from(statuses),
    shots: Int32Array.from(shots),
    interOcularPx: Float32Array.from(iods),
    mouthGaps: Float32Array.from(gaps),
    identities,
    cuts,
    trackWidth,
    trackHeight,
    repeatedFrames,
    stoppedEarly,
    timingsMs: timings,
  };
}

/** Mean inner-lip gap of 478 × 3 detector landmarks (corners excluded), px. */
function landmarkLipGap(model: FaceModel, landmarks: Float32Array): number {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  let sum = 0;
  for (let k = 1; k + 1 < upper.length; k++) {
    const u = (upper[k] as number) * 3;
    const l = (lower[k] as number) * 3;
    sum += Math.hypot(
      (landmarks[l] as number) - (landmarks[u] as number),
      (landmarks[l + 1] as number) - (landmarks[u + 1] as number),
    );
  }
  return sum / (upper.length - 2);
}

/** The 468 mesh points' x/y from 478 × 3 detector landmarks. */
function xyOnly(landmarks: Float32Array): Float32Array {
  const out = new Float32Array(FACE_VERTEX_COUNT * 2);
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    out[i * 2] = landmarks[i * 3] as number;
    out[i * 2 + 1] = landmarks[i * 3 + 1] as number;
  }
  return out;
}
