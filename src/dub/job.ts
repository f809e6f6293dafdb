import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type JobPaths, type JobRecord, type JobRunContext, moveIntoJob } from '../jobs/index.ts';
import type { DubResult } from './dub.ts';
import type { Dubber } from './dubber.ts';
import { type DubLimits, inspectDubInputs } from './inputs.ts';
import { DUB_DEFAULTS } from './options.ts';
import { type FitMode, fitModeSchema } from './plan.ts';
import { FRAME_STATUSES } from './segments.ts';

/** File names inside a dub job's `input/` folder, and its output. */
const VIDEO_FILE = 'video';
const AUDIO_FILE = 'audio';
export const DUB_OUTPUT_FILE = 'output.mp4';

const fileName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

/** The input of a dub job as stored in its job file (`kind: 'dub'` tells it from a video job). */
export const dubJobInputSchema = z
  .object({
    kind: z.literal('dub'),
    video: z
      .object({
        file: fileName,
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        /** Declared duration, ms (absent when the container does not say). */
        durationMs: z.number().positive().optional(),
      })
      .strict(),
    audio: z.object({ file: fileName, durationMs: z.number().positive() }).strict(),
    fit: fitModeSchema,
  })
  .strict();
export type DubJobInput = z.infer<typeof dubJobInputSchema>;

const passThroughSchema = z
  .object({
    reason: z.enum(FRAME_STATUSES.filter((s) => s !== 'dubbed') as [string, ...string[]]),
    firstFrame: z.number().int().nonnegative(),
    lastFrame: z.number().int().nonnegative(),
    startMs: z.number().nonnegative(),
    endMs: z.number().nonnegative(),
  })
  .strict();

/** Wall time per stage of a dub, ms (see `DubTimings`). */
export const dubTimingsSchema = z
  .object({
    audio: z.number().nonnegative(),
    trackDecode: z.number().nonnegative(),
    trackDetect: z.number().nonnegative(),
    trackFit: z.number().nonnegative(),
    decode: z.number().nonnegative(),
    motion: z.number().nonnegative(),
    render: z.number().nonnegative(),
    encode: z.number().nonnegative(),
    total: z.number().nonnegative(),
  })
  .strict();

/** What a finished dub job produced (stored in its job file). */
export const dubJobResultSchema = z
  .object({
    kind: z.literal('dub'),
    file: z.literal(DUB_OUTPUT_FILE),
    sizeBytes: z.number().int().positive(),
    durationMs: z.number().positive(),
    frames: z.number().int().positive(),
    fps: z.number().positive(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fit: fitModeSchema,
    variableFrameRate: z.boolean(),
    silentAudio: z.boolean(),
    sourceFrames: z.number().int().positive(),
    dubbedSourceFrames: z.number().int().nonnegative(),
    passThrough: z.array(passThroughSchema),
    cuts: z.array(z.object({ frame: z.number().int(), timeMs: z.number() }).strict()),
    mouthOpeningScale: z.number().positive(),
    renderer: z.literal('warp'),
    timingsMs: dubTimingsSchema,
  })
  .strict();
export type DubJobResult = z.infer<typeof dubJobResultSchema>;

/** Whether a stored job input is a dub's (video jobs carry no `kind`). */
export function isDubJobInput(input: unknown): input is DubJobInput {
  return (
    typeof input === 'object' && input !== null && (input as { kind?: unknown }).kind === 'dub'
  );
}

/** A request for a dub, as the HTTP edge (or any other client) hands it over. */
export interface DubJobRequest {
  /** The uploaded video file (already checked to be an audio/video container); moved into the job. */
  videoPath: string;
  /** The uploaded speech file; moved into the job. */
  audioPath: string;
  /** Default `pingpong`. */
  fit?: FitMode;
}

/** Any job queue that accepts dub jobs (it may run other kinds too). */
export interface DubJobQueue<I = DubJobInput, R = DubJobResult> {
  submit(input: (paths: JobPaths) => Promise<DubJobInput>): Promise<JobRecord<I, R>>;
}

/**
 * Accepts a dub job: stores the uploads in the job's input folder and checks them there
 * (a video stream within the limits, audio that decodes to the end within its limit), so
 * bad media is refused at once with its own code (MEDIA_NO_VIDEO, DUB_VIDEO_TOO_LONG,
 * AUDIO_TRUNCATED …) and leaves nothing behind. Whether the video shows a face is found out
 * by the job itself (tracking is the long part): DUB_NO_FACE fails the job.
 */
export async function submitDubJob<I, R>(
  queue: DubJobQueue<I, R>,
  request: DubJobRequest,
  options: { limits?: Partial<DubLimits>; signal?: AbortSignal } = {},
): Promise<JobRecord<I, R>> {
  const fit = fitModeSchema.parse(request.fit ?? DUB_DEFAULTS.fit);
  const limits: DubLimits = {
    maxVideoDurationMs: options.limits?.maxVideoDurationMs ?? DUB_DEFAULTS.maxVideoDurationMs,
    maxAudioDurationMs: options.limits?.maxAudioDurationMs ?? DUB_DEFAULTS.maxAudioDurationMs,
    maxFramePixels: options.limits?.maxFramePixels ?? DUB_DEFAULTS.maxFramePixels,
  };
  return queue.submit(async (paths) => {
    const videoPath = join(paths.inputDir, VIDEO_FILE);
    const audioPath = join(paths.inputDir, AUDIO_FILE);
    await moveIntoJob(request.videoPath, videoPath);
    await moveIntoJob(request.audioPath, audioPath);
    const inputs = await inspectDubInputs(videoPath, audioPath, limits, options.signal);
    return dubJobInputSchema.parse({
      kind: 'dub',
      video: {
        file: VIDEO_FILE,
        width: inputs.video.width,
        height: inputs.video.height,
        ...(inputs.video.durationMs ? { durationMs: round(inputs.video.durationMs) } : {}),
      },
      audio: { file: AUDIO_FILE, durationMs: round(inputs.audio.durationMs) },
      fit,
    });
  });
}

/**
 * The job queue's runner for dub jobs: dubs the stored inputs into the scratch folder (so a
 * crash leaves nothing outside it), moves the MP4 into the job folder, reports progress.
 */
export function dubJobRunner(
  dubber: Dubber,
): (input: DubJobInput, context: JobRunContext) => Promise<DubJobResult> {
  return async (input, context) => {
    const { paths, signal } = context;
    const result: DubResult = await dubber.dub(
      {
        videoPath: join(paths.inputDir, input.video.file),
        audioPath: join(paths.inputDir, input.audio.file),
        outPath: join(paths.workDir, DUB_OUTPUT_FILE),
        fit: input.fit,
      },
      {
        signal,
        workDir: paths.workDir,
        onProgress: (p) =>
          context.progress({
            stage: p.stage,
            fraction: Math.min(0.99, p.fraction),
            framesDone: p.framesDone,
            framesTotal: p.framesTotal,
          }),
      },
    );
    const outPath = join(paths.dir, DUB_OUTPUT_FILE);
    await rename(result.outPath, outPath);
    const { size } = await stat(outPath);
    return dubJobResultSchema.parse({
      kind: 'dub',
      file: DUB_OUTPUT_FILE,
      sizeBytes: size,
      durationMs: result.durationMs,
      frames: result.frames,
      fps: result.fps,
      width: result.width,
      height: result.height,
      fit: result.fit,
      variableFrameRate: result.variableFrameRate,
      silentAudio: result.silentAudio,
      sourceFrames: result.sourceFrames,
      dubbedSourceFrames: result.dubbedSourceFrames,
      passThrough: result.passThrough,
      cuts: result.cuts,
      mouthOpeningScale: result.mouthOpeningScale,
      renderer: 'warp',
      timingsMs: Object.fromEntries(
        Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v * 10) / 10]),
      ),
    });
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
