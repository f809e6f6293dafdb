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

export const JobSchema = z
  .object({
    id: z.string(),
    state: jobStateSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    attempts: z.number().int(),
    progress: jobProgressSchema,
    input: z.object({
      avatarId: z.string(),
      speech: z.enum(['audio', 'text']),
      sizePx: z.number().int(),
      seed: z.number().int(),
    }),
    result: z
      .object({
        durationMs: z.number(),
        frames: z.number().int(),
        fps: z.number(),
        sizePx: z.number().int(),
        sizeBytes: z.number().int(),
        renderer: z.enum(['warp', 'generator']),
        timingsMs: stageTimingsSchema,
      })
      .optional(),
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
    image: z.object({ widthPx: z.number().int(), heightPx: z.number().int() }),
    crop: BoxSchema.openapi({ description: 'The square talking-head framing that is rendered' }),
    face: z.object({
      box: BoxSchema,
      score: z.number(),
      facesFound: z.number().int(),
      interOcularPx: z.number(),
    }),
    poseDeg: z.object({ pitch: z.number(), yaw: z.number(), roll: z.number() }),
    warnings: z.array(z.string()),
    links: z.object({ self: z.string() }),
  })
  .openapi('Avatar');
export type AvatarView = z.infer<typeof AvatarSchema>;

export const VoicesSchema = z
  .object({
    provider: z.string(),
    voices: z.array(z.object({ id: z.string(), name: z.string(), languages: z.array(z.string()) })),
  })
  .openapi('Voices');
