import { type ChestAnchor, chestAnchorShoulders, followChest } from '../body/index.ts';
import type { ControlsSequence } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { openVideoFrames } from '../media/index.ts';
import { FaceError } from './errors.ts';
import { type DetectedBody, type Detection, FaceLandmarker } from './landmarker.ts';
import { type FaceModel, LANDMARK_COUNT, loadFaceModel } from './model.ts';
import { FaceTracker, type TrackedFrame, type TrackerSmoothing } from './tracker.ts';

/** Options for {@link trackVideo}. Defaults in {@link TRACK_DEFAULTS}. */
export interface TrackVideoOptions {
  /** Frames are decoded with their longest side at most this, px. Default 512. */
  maxSize?: number;
  /** Keep every frame's 478 landmarks (in source-video pixels). Default false. */
  keepLandmarks?: boolean;
  /** Run the body keypoint model on every n-th frame (held in between); 0 = never. Default 5. */
  bodyEvery?: number;
  /**
   * With the body tracked: drive the shoulders by the chest's own motion (block-matched below
   * the neckline from the first frame whose shoulders were seen, src/body `ChestMotion`)
   * instead of MoveNet's shoulder points, which follow gesturing arms. Default true.
   */
  chest?: boolean;
  /** Smoothing override (false = raw per-frame fits). */
  smoothing?: TrackerSmoothing | false;
  /**
   * A loaded landmarker to reuse (not closed); it should be loaded with `video: true` (and
   * `thread: true` to overlap landmarks with fitting, as the one trackVideo loads itself does).
   */
  landmarker?: FaceLandmarker;
  model?: FaceModel;
  /**
   * Called with each frame's body keypoints as the model found them (before any holding or
   * smoothing); undefined where the body model did not run on the frame or found no one.
   */
  onBody?: (frameIndex: number, body: DetectedBody | undefined) => void;
  /** Called after each decoded frame. */
  onProgress?: (framesDone: number, framesExpected: number | undefined) => void;
  signal?: AbortSignal;
}

export const TRACK_DEFAULTS = Object.freeze({ maxSize: 512, keepLandmarks: false, bodyEvery: 5 });

/** Frames whose landmarks may be under way while an earlier frame is fitted. */
const IN_FLIGHT = 2;

export interface TrackResult {
  /** Controls at 25 fps, one per decoded frame. */
  sequence: ControlsSequence;
  /** frames × 478 × 3 (x, y in source pixels after rotation, detector z), NaN where no face; when asked. */
  landmarks: Float32Array | undefined;
  frames: TrackedFrame[];
  video: {
    width: number;
    height: number;
    decodedWidth: number;
    decodedHeight: number;
    sourceFps: number;
  };
  facedFrames: number;
  /** The person's calibrated neutral shape (468 × 3 cm): what each frame's pose was fitted with. */
  identity: Float32Array;
  meanResidualPx: number;
  /** Wall time: total; waiting for landmarks (what fitting did not overlap); fitting. */
  timingsMs: { total: number; detect: number; fit: number };
}

/**
 * `facecast track`: a video → Controls per frame at 25 fps (any source rate, variable rate
 * included), smoothed, frames without a face marked. Throws FaceError FACE_NOT_FOUND when
 * no frame has a face, MediaError for unreadable input.
 *
 * @example
 * const { sequence } = await trackVideo('talk.mp4');
 * await writeControlsFile('talk.csv', sequence);
 */
export async function trackVideo(
  path: string,
  options: TrackVideoOptions = {},
): Promise<TrackResult> {
  const o = { ...TRACK_DEFAULTS, ...options };
  const t0 = performance.now();
  // the models load while ffprobe reads the video's facts
  const [model, video, landmarker] = await settleAll(
    [
      options.model ?? loadFaceModel(),
      openVideoFrames(path, { fps: 25, maxSize: o.maxSize, signal: options.signal }),
      options.landmarker ??
        FaceLandmarker.load({
          video: true,
          thread: true,
          body: o.bodyEvery > 0,
          signal: options.signal,
        }),
    ],
    // a landmarker of ours is closed when something else failed
    async ([, , loaded]) => {
      if (!options.landmarker) await loaded?.close();
    },
  );
  const tracker = new FaceTracker(model, {
    frameWidth: video.width,
    frameHeight: video.height,
    smoothing: options.smoothing,
  });
  // Landmarks are reported in the source's display pixels (after rotation).
  const swapped = Math.abs(Math.round(video.video.rotationDeg / 90)) % 2 === 1;
  const displayWidth = swapped
    ? video.video.height
    : Math.round(video.video.width * video.video.sampleAspectRatio);
  const toSource = displayWidth / video.width;
  const frames: TrackedFrame[] = [];
  const kept: (Float32Array | undefined)[] = [];
  let lastBody: DetectedBody | undefined;
  let chestAnchor: ChestAnchor | undefined;
  const timings = { detect: 0, fit: 0 };
  const fitFrame = (frameIndex: number, detection: Detection) => {
    if (detection.body) lastBody = detection.body;
    options.onBody?.(frameIndex, detection.body);
    const shoulders =
      !chestAnchor && detection.body && chestAnchorShoulders(detection.body.keypoints);
    if (shoulders) chestAnchor = { frameIndex, shoulders };
    const face = detection.faces[0];
    if (o.keepLandmarks) kept.push(face?.landmarks);
    const t = performance.now();
    frames.push(...tracker.process({ frameIndex, landmarks: face?.landmarks, body: lastBody }));
    timings.fit += performance.now() - t;
    options.onProgress?.(frameIndex + 1, video.expectedFrames);
  };
  // Pipelined: up to IN_FLIGHT frames' landmarks run (on the landmarker's thread when it has
  // one) while earlier frames are fitted, and ffmpeg decodes ahead in its own process.
  type Pending = { frameIndex: number; detection: Promise<Detection> };
  const pending: Pending[] = [];
  const settle = async (p: Pending) => {
    const t = performance.now();
    const detection = await p.detection;
    timings.detect += performance.now() - t;
    fitFrame(p.frameIndex, detection);
  };
  try {
    for await (const frame of video) {
      throwIfAborted(options.signal);
      const withBody = o.bodyEvery > 0 && frame.frameIndex % o.bodyEvery === 0;
      const detection = landmarker.detect(
        { width: frame.width, height: frame.height, data: frame.rgb },
        { signal: options.signal, body: withBody },
      );
      detection.catch(() => undefined); // awaited below, in order
      pending.push({ frameIndex: frame.frameIndex, detection });
      if (pending.length > IN_FLIGHT) await settle(pending.shift() as Pending);
    }
    for (const p of pending.splice(0)) await settle(p);
  } finally {
    if (!options.landmarker) await landmarker.close();
  }
  const t3 = performance.now();
  frames.push(...tracker.flush());
  timings.fit += performance.now() - t3;
  if (chestAnchor && options.chest !== false) {
    // A second decode: the anchor's shoulders are known only once its landmarks settled.
    const again = await openVideoFrames(path, {
      fps: 25,
      maxSize: o.maxSize,
      signal: options.signal,
    });
    await followChest(
      frames.map((f) => f.controls),
      again,
      chestAnchor,
    );
  }
  const stats = tracker.toJSON();
  if (stats.faced === 0) {
    throw new FaceError(
      'FACE_NOT_FOUND',
      `no face found in any of the ${frames.length} frames of ${path}`,
    );
  }
  let landmarks: Float32Array | undefined;
  if (o.keepLandmarks) {
    const all = new Float32Array(kept.length * LANDMARK_COUNT * 3).fill(Number.NaN);
    kept.forEach((points, f) => {
      if (!points) return;
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        const o3 = (f * LANDMARK_COUNT + i) * 3;
        all[o3] = (points[i * 3] as number) * toSource;
        all[o3 + 1] = (points[i * 3 + 1] as number) * toSource;
        all[o3 + 2] = points[i * 3 + 2] as number;
      }
    });
    landmarks = all;
  }
  return {
    sequence: {
      format: 'facecast.controls',
      version: 1,
      fps: 25,
      frames: frames.map((f) => f.controls),
    },
    landmarks,
    frames,
    video: {
      width: displayWidth,
      height: Math.round((displayWidth * video.height) / video.width),
      decodedWidth: video.width,
      decodedHeight: video.height,
      sourceFps: video.video.fps,
    },
    facedFrames: stats.faced,
    identity: tracker.identity ?? Float32Array.from(model.neutral),
    meanResidualPx: stats.meanResidualPx,
    timingsMs: { total: performance.now() - t0, detect: timings.detect, fit: timings.fit },
  };
}

/**
 * Promise.all that waits for every promise; when one rejects, `release` gets what did load
 * (undefined for the rest) before the first rejection is thrown.
 */
async function settleAll<T extends unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> | T[K] },
  release: (loaded: { [K in keyof T]: T[K] | undefined }) => Promise<void>,
): Promise<T> {
  const results = await Promise.allSettled(promises as unknown as Promise<unknown>[]);
  const failed = results.find((r) => r.status === 'rejected');
  const values = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  if (failed) {
    await release(values as { [K in keyof T]: T[K] | undefined });
    throw (failed as PromiseRejectedResult).reason;
  }
  return values as T;
}
