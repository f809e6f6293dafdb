import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { controlsFrameSchema } from '../controls/index.ts';
import {
  FACE_VERTEX_COUNT,
  type FaceLandmarker,
  type FaceModel,
  facePoseSchema,
  trackVideo,
} from '../face/index.ts';
import { EvaluationError } from './errors.ts';

/**
 * A tracked clip as self-reenactment needs it: per 25 fps frame the smoothed Controls and the
 * raw fitted pose (decoded-frame pixels), plus the person's calibrated neutral shape. Cached as
 * JSON by the data scripts (`data/generator/tracks/<clip>.json`) so retraining skips tracking.
 */
export const clipTrackSchema = z
  .object({
    format: z.literal('facecast.clip-track'),
    version: z.literal(1),
    /** The video's file name (no directory: tracks travel between machines). */
    clip: z.string(),
    /** Size of the decoded frames the poses refer to (longest side ≤ `maxSize`), px. */
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    maxSize: z.number().int().positive(),
    /** The person's neutral, 468 × 3 cm, flat. */
    identity: z.array(z.number()).length(FACE_VERTEX_COUNT * 3),
    frames: z.array(
      z
        .object({
          controls: controlsFrameSchema,
          /** The raw per-frame fit; null where no face was found. */
          pose: facePoseSchema.nullable(),
        })
        .strict(),
    ),
  })
  .strict();
export type ClipTrack = z.infer<typeof clipTrackSchema>;

/** Options of {@link trackClip}. */
export interface TrackClipOptions {
  /** Longest side of the decoded frames, px. Default 512 (what `facecast track` uses). */
  maxSize?: number;
  /**
   * Track the upper body (MoveNet) on every n-th frame into the Controls body channels, as
   * `facecast track --body-every n`; 0 = never. Default 0. A `landmarker` given must then be
   * loaded with `body: true`.
   */
  bodyEvery?: number;
  /** With the body: drive the shoulders by the chest's measured motion (trackVideo `chest`). Default true. */
  chest?: boolean;
  landmarker?: FaceLandmarker;
  model?: FaceModel;
  onProgress?: (framesDone: number, framesExpected: number | undefined) => void;
  signal?: AbortSignal;
}

/**
 * Tracks a clip for self-reenactment (`trackVideo` with its default smoothing; the body model
 * only with `bodyEvery`).
 *
 * @example
 * const track = await trackClip('clip.mp4');
 * await writeClipTrack('data/generator/tracks/clip.json', track);
 */
export async function trackClip(path: string, options: TrackClipOptions = {}): Promise<ClipTrack> {
  const maxSize = options.maxSize ?? 512;
  const result = await trackVideo(path, {
    maxSize,
    bodyEvery: options.bodyEvery ?? 0,
    ...(options.chest === false ? { chest: false } : {}),
    ...(options.landmarker ? { landmarker: options.landmarker } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    format: 'facecast.clip-track',
    version: 1,
    clip: path.split(/[\\/]/).pop() ?? path,
    width: result.video.decodedWidth,
    height: result.video.decodedHeight,
    maxSize,
    identity: Array.from(result.identity),
    frames: result.frames.map((f) => ({ controls: f.controls, pose: f.pose ?? null })),
  };
}

/** Writes a track as JSON (numbers cut to 6 decimals, towards 0 so ranges hold: far below what the tracker resolves). */
export async function writeClipTrack(path: string, track: ClipTrack): Promise<void> {
  await writeFile(
    path,
    JSON.stringify(track, (_key, value) =>
      typeof value === 'number' ? Math.trunc(value * 1e6) / 1e6 : value,
    ),
  );
}

/** Reads and validates a cached track. Throws EvaluationError EVAL_BAD_TRACK. */
export async function readClipTrack(path: string): Promise<ClipTrack> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new EvaluationError('EVAL_BAD_TRACK', `cannot read track ${path}`, { cause });
  }
  const parsed = clipTrackSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EvaluationError(
      'EVAL_BAD_TRACK',
      `${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
