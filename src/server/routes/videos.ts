import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  DEFAULT_SIZE_PX,
  MAX_SIZE_PX,
  MAX_TEXT_CHARS,
  MIN_SIZE_PX,
  submitVideoJob,
  type VideoRequest,
} from '../../pipeline/index.ts';
import { VoiceCatalog } from '../../tts/index.ts';
import type { AppEnv, AppServices, ResolvedAppOptions } from '../context.ts';
import { FORM_OVERHEAD_BYTES, receiveMultipart } from '../multipart.ts';
import { ErrorSchema, errorResponses, JobSchema, VoicesSchema } from '../schemas.ts';
import { isMultipart, readJson } from '../upload.ts';
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
  voice: z.string().min(1).max(100).optional().openapi({
    description:
      "TTS voice `engine:name` (GET /v1/voices), e.g. `flite:slt`, `festival:cmu_us_slt_arctic_hts`; a bare name is the default engine's (espeak: `en-us+f3`)",
  }),
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

const videoFormShape = {
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
};
const oneSpeech = {
  check: (f: { audio?: unknown; text?: unknown }) =>
    (f.audio === undefined) !== (f.text === undefined),
  error: { message: 'give exactly one of "audio" (a file) or "text"', path: ['audio'] },
};
const videoForm = z
  .object(videoFormShape)
  .refine(oneSpeech.check, oneSpeech.error)
  .openapi('VideoUpload');

/** The form as received: the audio is a file on disk by then. */
const videoFields = z
  .object({ ...videoFormShape, audio: z.string().optional() })
  .refine(oneSpeech.check, oneSpeech.error);
const AUDIO_KINDS = ['audio', 'av-container'] as const;
const AUDIO = 'audio (WAV, MP3, OGG, FLAC, AAC, M4A …)';

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
  summary: 'Voices of the configured TTS provider (every installed engine), with licence terms',
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
  const submit = async (c: Context, request: VideoRequest) => {
    const job = await submitVideoJob(services.jobs, services.avatars, request, {
      limits: { maxAudioMs: options.maxAudioMs },
      tts: services.tts,
      signal: c.req.raw.signal,
    });
    c.header('Location', `/v1/jobs/${job.id}`);
    return c.json(jobView(job), 202);
  };
  app.openAPIRegistry.registerPath(createVideoRoute);
  app.post('/v1/videos', async (c) => {
    if (!isMultipart(c)) return submit(c, fromJson(await readJson(c, textVideoJson)));
    const form = await receiveMultipart(c, {
      dir: services.uploadDir,
      maxBodyBytes: options.maxAudioBytes + FORM_OVERHEAD_BYTES,
      files: { audio: { maxBytes: options.maxAudioBytes, accept: AUDIO_KINDS, describe: AUDIO } },
    });
    try {
      return await submit(
        c,
        fromForm(videoFields.parse({ ...form.fields, audio: form.files.audio?.path })),
      );
    } finally {
      await form.cleanup();
    }
  });

  app.openapi(voicesRoute, async (c) => {
    const tts = await services.tts();
    const engines = tts instanceof VoiceCatalog ? { engines: tts.engines } : {};
    return c.json({ provider: tts.id, ...engines, voices: await tts.voices() }, 200);
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

function fromForm(form: z.output<typeof videoFields>): VideoRequest {
  const common = {
    avatarId: form.avatarId,
    ...(form.sizePx === undefined ? {} : { sizePx: form.sizePx }),
    ...(form.seed === undefined ? {} : { seed: form.seed }),
  };
  if (form.audio) return { ...common, speech: { type: 'audio', path: form.audio } };
  return fromJson({
    ...common,
    text: form.text as string,
    voice: form.voice,
    language: form.language,
    rate: form.rate,
  });
}
