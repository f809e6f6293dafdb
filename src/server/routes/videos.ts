import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import {
  DEFAULT_SIZE_PX,
  MAX_SIZE_PX,
  MAX_TEXT_CHARS,
  MIN_SIZE_PX,
  submitVideoJob,
  type VideoRequest,
} from '../../pipeline/index.ts';
import type { AppEnv, AppServices, ResolvedAppOptions } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorSchema, errorResponses, JobSchema, VoicesSchema } from '../schemas.ts';
import { checkUpload, isMultipart, readJson, readMultipart } from '../upload.ts';
import { jobView } from './jobs.ts';

const sizePx = z
  .number()
  .int()
  .min(MIN_SIZE_PX)
  .max(MAX_SIZE_PX)
  .refine((n) => n % 2 === 0, 'must be even')
  .openapi({ description: `Longer side of the video, px (default ${DEFAULT_SIZE_PX})` });
const seed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1)
  .openapi({
    description: 'Seed of the idle motion (blinks, sway); random when absent, reported in the job',
  });
const ttsFields = {
  text: z.string().min(1).max(MAX_TEXT_CHARS).openapi({ description: 'Text to speak (TTS)' }),
  voice: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'TTS voice (GET /v1/voices), e.g. `en-us+f3`' }),
  language: z
    .string()
    .min(1)
    .max(35)
    .optional()
    .openapi({ description: 'Language when no voice is given (default en-us)' }),
  rate: z
    .number()
    .min(0.5)
    .max(2.5)
    .optional()
    .openapi({ description: 'Speaking-rate multiplier (default 1)' }),
};

const textVideoJson = z
  .object({
    avatarId: z.string().min(1).max(64),
    ...ttsFields,
    sizePx: sizePx.optional(),
    seed: seed.optional(),
  })
  .strict()
  .openapi('TextVideoRequest');

/** Multipart fields arrive as strings; numbers must be plain decimal numbers. */
const numeric = <T extends z.ZodType<number, number>>(inner: T) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(inner);

const videoForm = z
  .object({
    avatarId: z.string().min(1).max(64),
    audio: z
      .instanceof(File, { message: 'expected a file in the "audio" field' })
      .optional()
      .openapi({
        type: 'string',
        format: 'binary',
        description: 'Speech: WAV, MP3, OGG, FLAC, AAC, M4A… (by content)',
      }),
    text: ttsFields.text.optional(),
    voice: ttsFields.voice,
    language: ttsFields.language,
    rate: numeric(z.number().min(0.5).max(2.5)).optional(),
    sizePx: numeric(sizePx).optional(),
    seed: numeric(seed).optional(),
  })
  .refine((f) => (f.audio === undefined) !== (f.text === undefined), {
    message: 'give exactly one of "audio" (a file) or "text"',
    path: ['audio'],
  })
  .openapi('VideoUpload');

const createVideoRoute = createRoute({
  method: 'post',
  path: '/v1/videos',
  tags: ['videos'],
  summary: 'Render an avatar speaking an audio file or a text → a job',
  description:
    'Accepted jobs are stored on disk before the answer (202) and survive restarts. Audio is checked on arrival (decodes to the end, not silent, within the duration limit). Follow progress at `links.events` (SSE), fetch the MP4 at `links.output` once `succeeded`. The embedded TTS (espeak-ng) sounds robotic.',
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: textVideoJson },
        'multipart/form-data': { schema: videoForm },
      },
    },
  },
  responses: {
    202: {
      description: 'The accepted job',
      content: { 'application/json': { schema: JobSchema } },
    },
    413: {
      description: 'Upload or audio too large/long',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    415: {
      description: 'Not audio, or wrong Content-Type',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    503: {
      description: 'Queue full (Retry-After)',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    ...errorResponses,
  },
});

const voicesRoute = createRoute({
  method: 'get',
  path: '/v1/voices',
  tags: ['videos'],
  summary: 'Voices of the configured TTS provider',
  responses: {
    200: { description: 'Voices', content: { 'application/json': { schema: VoicesSchema } } },
    ...errorResponses,
  },
});

export function mountVideoRoutes(
  app: OpenAPIHono<AppEnv>,
  services: AppServices,
  options: ResolvedAppOptions,
): void {
  app.openAPIRegistry.registerPath(createVideoRoute);
  app.post(
    '/v1/videos',
    bodyLimit({
      maxSize: options.maxAudioBytes + 64 * 1024,
      onError: () => {
        throw new ApiError(
          'PAYLOAD_TOO_LARGE',
          `the audio upload is limited to ${options.maxAudioBytes} bytes`,
          {
            details: { maxBytes: options.maxAudioBytes },
          },
        );
      },
    }),
    async (c) => {
      const request = isMultipart(c)
        ? await fromForm(await readMultipart(c, videoForm))
        : fromJson(await readJson(c, textVideoJson));
      const job = await submitVideoJob(services.jobs, services.avatars, request, {
        limits: { maxAudioMs: options.maxAudioMs },
        tts: services.tts,
        signal: c.req.raw.signal,
      });
      c.header('Location', `/v1/jobs/${job.id}`);
      return c.json(jobView(job), 202);
    },
  );

  app.openapi(voicesRoute, async (c) => {
    const tts = await services.tts();
    return c.json({ provider: tts.id, voices: await tts.voices() }, 200);
  });
}

function fromJson(body: z.output<typeof textVideoJson>): VideoRequest {
  const { avatarId, sizePx: size, seed: s, text, voice, language, rate } = body;
  return {
    avatarId,
    ...(size === undefined ? {} : { sizePx: size }),
    ...(s === undefined ? {} : { seed: s }),
    speech: {
      type: 'text',
      text,
      ...(voice ? { voice } : {}),
      ...(language ? { language } : {}),
      ...(rate ? { rate } : {}),
    },
  };
}

async function fromForm(form: z.output<typeof videoForm>): Promise<VideoRequest> {
  const common = {
    avatarId: form.avatarId,
    ...(form.sizePx === undefined ? {} : { sizePx: form.sizePx }),
    ...(form.seed === undefined ? {} : { seed: form.seed }),
  };
  if (form.audio) {
    const { bytes } = await checkUpload(
      form.audio,
      'audio',
      ['audio', 'av-container'],
      'audio (WAV, MP3, OGG, FLAC, AAC, M4A …)',
    );
    return { ...common, speech: { type: 'audio', bytes } };
  }
  return fromJson({
    ...common,
    text: form.text as string,
    voice: form.voice,
    language: form.language,
    rate: form.rate,
  });
}
