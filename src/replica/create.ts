import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { throwIfAborted } from '../core/index.ts';
import {
  buildTimeline,
  FRAME_STATUSES,
  STATUS_ID,
  type TrackPassResult,
  TrackStore,
  trackSource,
} from '../dub/index.ts';
import type { FaceLandmarker, FaceModel } from '../face/index.ts';
import { MediaError, openVideoFrames, probeMedia, thumbnail } from '../media/index.ts';
import { buildReplicaMouthBank } from './bank.ts';
import { ReplicaError } from './errors.ts';
import { FrameStoreWriter } from './frames.ts';
import {
  IDENTITIES_FILE,
  REPLICA_FPS,
  type ReplicaManifest,
  THUMBS_FILE,
  TRACK_FILE,
  writeReplicaManifest,
} from './manifest.ts';
import { checkFootage, REPLICA_LIMITS, type ReplicaLimits } from './validate.ts';

/** The loaded models creation needs (shared; not closed here). */
export interface ReplicaModels {
  model: FaceModel;
  /** Loaded in video mode (`FaceLandmarker.load({ video: true, body: false })`). */
  landmarker: FaceLandmarker;
}

/** Options of {@link createReplica}. */
export interface CreateReplicaOptions extends Partial<ReplicaLimits> {
  /** Longest side of the stored (and tracked) footage, px. Default 512. */
  maxSizePx?: number;
  signal?: AbortSignal;
  /** Called after each decoded frame. */
  onProgress?: (framesDone: number, framesExpected: number | undefined) => void;
}

/** What {@link createReplica} made. */
export interface ReplicaSummary {
  dir: string;
  manifest: ReplicaManifest;
  /** Usable stretches (within shots), 25 fps playback frames are mapped onto them. */
  runs: number;
  mouthBankEntries: number;
  timingsMs: { track: number; bank: number; total: number };
}

/**
 * Turns a clip of one person into a video avatar in `outDir` (created; must not exist or be
 * empty): every frame is decoded once at ≤ `maxSizePx`, stored as JPEG, and tracked (src/dub
 * `trackSource`: statuses, shots at cuts, fitted weights, pose, 468 landmarks); the clip is
 * checked ({@link checkFootage}: REPLICA_TOO_SHORT, REPLICA_VARIABLE_FRAME_RATE,
 * REPLICA_MULTIPLE_PEOPLE, REPLICA_FACE_LOST, REPLICA_NO_FRONTAL, REPLICA_TOO_FRAGMENTED …);
 * a mouth bank of its real mouth interiors is built; `replica.json` maps a 25 fps clock onto
 * the stored frames. Built in a temporary sibling folder renamed into place when complete.
 *
 * @example
 * const summary = await createReplica('me.mp4', 'avatars/me', { model, landmarker });
 */
export async function createReplica(
  videoPath: string,
  outDir: string,
  models: ReplicaModels,
  options: CreateReplicaOptions = {},
): Promise<ReplicaSummary> {
  const started = performance.now();
  const limits = { ...REPLICA_LIMITS, ...withoutUndefined(options) };
  const { signal } = options;
  const dir = resolve(outDir);
  await checkOutput(dir);
  const video = await inspectSource(videoPath, limits, signal);
  const tmp = join(dirname(dir), `.tmp-replica-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  const frames = await FrameStoreWriter.create(tmp);
  const store = await TrackStore.create(join(tmp, TRACK_FILE));
  let closed = false;
  try {
    const tracked = await trackAndStore(videoPath, video, models, store, frames, {
      ...options,
      maxFrames: Math.ceil((limits.maxDurationMs / 1000) * 240),
    });
    const trackMs = performance.now() - started;
    throwIfAborted(signal);
    const timeline = buildTimeline(tracked.timesMs);
    const frontalFrames = await countFrontal(store, tracked.statuses, limits);
    const runs = checkFootage(
      {
        durationMs: timeline.durationMs,
        fps: timeline.fps,
        variableFrameRate: timeline.variable,
        statuses: tracked.statuses,
        shots: tracked.shots,
        frontalFrames,
      },
      limits,
    );
    await writeFile(
      join(tmp, IDENTITIES_FILE),
      Buffer.concat(
        tracked.identities.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)),
      ),
    );
    await writeFile(join(tmp, THUMBS_FILE), Buffer.concat(tracked.thumbs));
    const t = performance.now();
    const bank = await buildReplicaMouthBank(tmp, {
      model: models.model,
      store,
      statuses: tracked.statuses,
      width: tracked.trackWidth,
      height: tracked.trackHeight,
      storedFrames: tracked.statuses.length,
      ...(signal ? { signal } : {}),
    });
    const bankMs = performance.now() - t;
    await store.close({ keep: true });
    closed = true;
    const manifest = buildManifest(videoPath, video, tracked, timeline, bank.file);
    await writeReplicaManifest(tmp, manifest);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return {
      dir,
      manifest,
      runs: runs.length,
      mouthBankEntries: bank.entries,
      timingsMs: { track: trackMs, bank: bankMs, total: performance.now() - started },
    };
  } finally {
    await frames.abort();
    if (!closed) await store.close({ keep: true });
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Probes the clip and applies the checks that need no decoding (duration, frame rate). */
async function inspectSource(
  videoPath: string,
  limits: ReplicaLimits,
  signal: AbortSignal | undefined,
): Promise<{ width: number; height: number }> {
  const info = await probeMedia(videoPath, signal ? { signal } : {});
  if (!info.video) {
    throw new MediaError('MEDIA_NO_VIDEO', `${videoPath} has no video stream`);
  }
  // Fail fast on the declared length; the decoded length is checked again after tracking.
  checkDuration(info.video.durationMs ?? info.durationMs ?? 0, limits);
  await checkConstantRate(videoPath, signal);
  return { width: info.video.width, height: info.video.height };
}

/** Decodes every frame once: stores it, thumbnails it and tracks it (src/dub `trackSource`). */
async function trackAndStore(
  videoPath: string,
  video: { width: number; height: number },
  models: ReplicaModels,
  store: TrackStore,
  frames: FrameStoreWriter,
  options: CreateReplicaOptions & { maxFrames: number },
): Promise<TrackPassResult & { thumbs: Uint8Array[] }> {
  const sizePx = options.maxSizePx ?? 512;
  const longest = Math.max(video.width, video.height);
  const thumbs: Uint8Array[] = [];
  const thumb = new Float32Array(256);
  const tracked = await trackSource(videoPath, models.landmarker, models.model, store, {
    trackSizePx: sizePx,
    sourceScale: longest / Math.min(sizePx, longest),
    maxFrames: options.maxFrames,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onDecodedFrame: (frame) => {
      thumbs.push(Uint8Array.from(thumbnail(frame.rgb, frame.width, frame.height, thumb)));
      return frames.append(frame.rgb, frame.width, frame.height);
    },
  });
  await frames.finish();
  return { ...tracked, thumbs };
}

/** Usable frames whose head is within the frontal limits. */
async function countFrontal(
  store: TrackStore,
  statuses: Uint8Array,
  limits: ReplicaLimits,
): Promise<number> {
  let frontal = 0;
  for (let i = 0; i < statuses.length; i++) {
    if (statuses[i] !== STATUS_ID.dubbed) continue;
    const { pose } = await store.read(i);
    if (
      Math.abs(pose.yaw) <= limits.frontalYawRad &&
      Math.abs(pose.pitch) <= limits.frontalPitchRad
    ) {
      frontal++;
    }
  }
  return frontal;
}

function buildManifest(
  videoPath: string,
  video: { width: number; height: number },
  tracked: TrackPassResult,
  timeline: ReturnType<typeof buildTimeline>,
  mouthBank: string | null,
): ReplicaManifest {
  const statusCounts: Record<string, number> = {};
  for (const s of tracked.statuses) {
    const name = FRAME_STATUSES[s] as string;
    statusCounts[name] = (statusCounts[name] ?? 0) + 1;
  }
  const playback = playbackIndex(tracked.timesMs, timeline.durationMs);
  return {
    format: 'facecast.replica',
    version: 1,
    createdAt: new Date().toISOString(),
    source: {
      name: basename(videoPath),
      width: video.width,
      height: video.height,
      fps: Math.round(timeline.fps * 1000) / 1000,
      durationMs: Math.round(timeline.durationMs),
    },
    footage: {
      width: tracked.trackWidth,
      height: tracked.trackHeight,
      storedFrames: tracked.statuses.length,
      frames: playback.length,
    },
    playback,
    usable: Array.from(tracked.statuses, (s) => (s === STATUS_ID.dubbed ? 1 : 0)),
    shots: Array.from(tracked.shots),
    cuts: tracked.cuts,
    statusCounts,
    mouthBank,
  };
}

/**
 * The stored frame on screen at each 25 fps instant `j × 40 ms` over `durationMs` (a
 * constant-rate source at another rate is resampled by time: 30 fps drops every sixth frame,
 * 24 fps repeats one a second).
 */
export function playbackIndex(timesMs: ArrayLike<number>, durationMs: number): number[] {
  const out: number[] = [];
  const frames = Math.max(1, Math.floor((durationMs * REPLICA_FPS) / 1000 + 1e-6));
  let i = 0;
  for (let j = 0; j < frames; j++) {
    const t = (j * 1000) / REPLICA_FPS + 0.5;
    while (i + 1 < timesMs.length && (timesMs[i + 1] as number) <= t) i++;
    out.push(i);
  }
  return out;
}

/**
 * Fails fast on a variable frame rate: the frame times of a decode at thumbnail size (cheap
 * next to tracking) through the same timeline the dubber uses.
 */
async function checkConstantRate(
  videoPath: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const times: number[] = [];
  try {
    const video = await openVideoFrames(videoPath, {
      fps: 'source',
      maxSize: 32,
      ...(signal ? { signal } : {}),
    });
    for await (const frame of video) times.push(frame.timeMs);
  } catch (error) {
    throwIfAborted(signal);
    // Only a shortcut: the tracking pass decodes again and reports what is wrong, and its
    // frame times go through the same check.
    if (error instanceof MediaError) return;
    throw error;
  }
  if (times.length > 1 && buildTimeline(times).variable) throw variableRate();
}

function variableRate(): ReplicaError {
  return new ReplicaError(
    'REPLICA_VARIABLE_FRAME_RATE',
    'the clip has a variable frame rate; re-encode it at a constant rate (e.g. ffmpeg -vf fps=25)',
  );
}

function checkDuration(durationMs: number, limits: ReplicaLimits): void {
  if (durationMs > 0 && durationMs < limits.minDurationMs) {
    throw new ReplicaError(
      'REPLICA_TOO_SHORT',
      `the clip lasts ${(durationMs / 1000).toFixed(1)} s; a video avatar needs at least ${(limits.minDurationMs / 1000).toFixed(1)} s`,
      { details: { durationMs, minDurationMs: limits.minDurationMs } },
    );
  }
  if (durationMs > limits.maxDurationMs) {
    throw new ReplicaError(
      'REPLICA_TOO_LONG',
      `the clip lasts ${(durationMs / 1000).toFixed(1)} s; at most ${(limits.maxDurationMs / 1000).toFixed(1)} s is accepted`,
      { details: { durationMs, maxDurationMs: limits.maxDurationMs } },
    );
  }
}

async function checkOutput(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) {
    await mkdir(dirname(dir), { recursive: true }).catch((cause: unknown) => {
      throw new ReplicaError('REPLICA_OUTPUT_NOT_WRITABLE', `cannot create ${dirname(dir)}`, {
        cause,
      });
    });
    return;
  }
  if (!info.isDirectory() || (await readdir(dir)).length > 0) {
    throw new ReplicaError(
      'REPLICA_OUTPUT_NOT_WRITABLE',
      `${dir} exists and is not an empty folder`,
    );
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Whether `path` is a video (ffprobe finds a video stream that is not a still image):
 * `avatar create` makes a video avatar from it, a photo avatar otherwise.
 */
/** ffprobe's demuxer names for still images. */
const STILL_IMAGE_FORMAT = /(^|,)(image2|[a-z0-9]+_pipe)(,|$)/;

export async function isVideoFile(path: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const info = await probeMedia(path, signal ? { signal } : {});
    // ffprobe reads a still PNG/WebP/BMP/GIF as a one-stream "video" (`png_pipe`, `image2` …)
    if (STILL_IMAGE_FORMAT.test(info.formatName)) return false;
    return info.video !== undefined && (info.video.frameCount ?? 2) > 1;
  } catch {
    return false;
  }
}
