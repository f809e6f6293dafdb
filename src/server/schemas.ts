import { z } from '@hono/zod-openapi';
import { jobFailureSchema, jobProgressSchema, jobStateSchema } from '../jobs/index.ts';
import { stageTimingsSchema } from '../pipeline/index.ts';

/** Schemas of the HTTP API (bodies, parameters, responses), with their OpenAPI names. */

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'AUDIO_TRUNCATED', description: 'Stable machine code' }),
      message: z.string().openapi({ description: 'What went wrong, for people' }),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

export const JobIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'job_3Jm0cYp1sJk2b7Qw' }),
});

export const AvatarIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'av_Zq8p0cYp1sJk2b7Q' }),
});

const VideoInputView = z
  .object({
    avatarId: z.string(),
    speech: z.enum(['audio', 'text']),
    sizePx: z.number().int(),
    seed: z.number().int(),
  })
  .openapi('VideoJobInput');

const DubInputView = z
  .object({
    fit: z.enum(['loop', 'pingpong', 'hold', 'trim']),
    video: z.object({
      widthPx: z.number().int(),
      heightPx: z.number().int(),
      durationMs: z.number().optional(),
    }),
    audioDurationMs: z.number(),
  })
  .openapi('DubJobInput');

const VideoResultView = z
  .object({
    durationMs: z.number(),
    frames: z.number().int(),
    fps: z.number(),
    sizePx: z.number().int(),
    sizeBytes: z.number().int(),
    renderer: z.enum(['warp', 'generator', 'replica']),
    timingsMs: stageTimingsSchema,
  })
  .openapi('VideoJobResult');

const DubResultView = z
  .object({
    durationMs: z.number(),
    frames: z.number().int(),
    fps: z.number(),
    widthPx: z.number().int(),
    heightPx: z.number().int(),
    sizeBytes: z.number().int(),
    fit: z.enum(['loop', 'pingpong', 'hold', 'trim']),
    variableFrameRate: z.boolean(),
    silentAudio: z.boolean(),
    sourceFrames: z.number().int(),
    dubbedSourceFrames: z.number().int(),
    passThrough: z
      .array(
        z.object({
          reason: z.string().openapi({
            description:
              'no-face, multiple-faces, pose-extreme, face-too-small or track-lost: those source frames are output untouched',
          }),
          firstFrame: z.number().int(),
          lastFrame: z.number().int(),
          startMs: z.number(),
          endMs: z.number(),
        }),
      )
      .openapi({ description: 'Source frame ranges left untouched, and why' }),
    cuts: z.array(z.object({ frame: z.number().int(), timeMs: z.number() })),
    renderer: z.literal('warp'),
    timingsMs: z.record(z.string(), z.number()),
  })
  .openapi('DubJobResult');

export const JobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['video', 'dub']).openapi({
      description: '`video`: POST /v1/videos; `dub`: POST /v1/dubs (lip-sync translation)',
    }),
    state: jobStateSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    attempts: z.number().int(),
    progress: jobProgressSchema,
    input: z.union([VideoInputView, DubInputView]),
    result: z.union([VideoResultView, DubResultView]).optional(),
    error: jobFailureSchema.optional(),
    links: z.object({ self: z.string(), events: z.string(), output: z.string().optional() }),
  })
  .openapi('Job');
export type JobView = z.infer<typeof JobSchema>;

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    uptimeMs: z.number(),
    jobs: z.object({ waiting: z.number().int(), running: z.number().int() }),
  })
  .openapi('Health');

export const errorResponses = {
  400: { description: 'Bad input', content: { 'application/json': { schema: ErrorSchema } } },
  401: {
    description: 'API key missing or wrong',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

const BoxSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });

export const AvatarSchema = z
  .object({
    id: z.string().openapi({ example: 'av_Zq8p0cYp1sJk2b7Q' }),
    createdAt: z.string(),
    kind: z.enum(['photo', 'video']).openapi({
      description:
        '`photo`: a talking photo (the face warped); `video`: a video avatar (its footage plays, only the mouth is re-animated)',
    }),
    image: z
      .object({ widthPx: z.number().int(), heightPx: z.number().int() })
      .optional()
      .openapi({ description: 'Photo avatars' }),
    crop: BoxSchema.optional().openapi({
      description:
        'The part of the photo that renders show (photo avatars): a square talking-head crop, or the whole photo when created with `framing=whole`',
    }),
    face: z
      .object({
        box: BoxSchema,
        score: z.number(),
        facesFound: z.number().int(),
        interOcularPx: z.number(),
      })
      .optional(),
    poseDeg: z.object({ pitch: z.number(), yaw: z.number(), roll: z.number() }).optional(),
    video: z
      .object({
        widthPx: z.number().int(),
        heightPx: z.number().int(),
        frames: z.number().int().openapi({ description: 'Footage frames at 25 fps' }),
        durationMs: z.number(),
        usableFrames: z.number().int(),
        cuts: z.number().int(),
        mouthBank: z
          .boolean()
          .openapi({ description: 'Real mouth interiors found in the footage' }),
      })
      .optional()
      .openapi({ description: 'Video avatars' }),
    warnings: z.array(z.string()),
    links: z.object({ self: z.string() }),
  })
  .openapi('Avatar');
export type AvatarView = z.infer<typeof AvatarSchema>;

export const AvatarListSchema = z
  .object({
    avatars: z.array(AvatarSchema),
    next: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .openapi('AvatarList');

export const AvatarListQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .optional()
    .openapi({
      param: { name: 'limit', in: 'query' },
      example: '20',
      description: '1–100, default 20',
    }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'The previous page’s `next`' }),
});

export const VoicesSchema = z
  .object({
    provider: z.string(),
    /** Engines found on this server, default first (provider `local`). */
    engines: z.array(z.string()).optional(),
    voices: z.array(
      z.object({
        id: z.string().openapi({ description: 'What to pass as `voice`: `engine:name`' }),
        name: z.string(),
        languages: z.array(z.string()),
        engine: z.string(),
        terms: z.string().openapi({ description: 'Licence terms of the engine and voice data' }),
        gender: z.enum(['female', 'male']).optional(),
        phonemeTiming: z.boolean().optional(),
      }),
    ),
  })
  .openapi('Voices');
