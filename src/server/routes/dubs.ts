import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { FIT_MODES, submitDubJob } from '../../dub/index.ts';
import type { AppEnv, AppServices, ResolvedAppOptions } from '../context.ts';
import { FORM_OVERHEAD_BYTES, receiveMultipart } from '../multipart.ts';
import { ErrorSchema, errorResponses, JobSchema } from '../schemas.ts';
import { jobView } from './jobs.ts';

const dubForm = z
  .object({
    video: z.instanceof(File, { message: 'expected a file in the "video" field' }).openapi({
      type: 'string',
      format: 'binary',
      description:
        'The video of a person speaking: MP4/MOV (H.264, HEVC …), WebM or MKV (by content)',
    }),
    audio: z.instanceof(File, { message: 'expected a file in the "audio" field' }).openapi({
      type: 'string',
      format: 'binary',
      description: 'The new speech: WAV, MP3, OGG, FLAC, AAC, M4A, or a video with sound',
    }),
    fit: z.enum(FIT_MODES).optional().openapi({
      description:
        'When the audio outlasts the video: `pingpong` (default: backwards then forwards, no jump cut), `loop`, `hold` (freeze the last frame) or `trim` (cut at the video end). A shorter audio always trims the video.',
    }),
  })
  .openapi('DubUpload');

/** The form as received: the files are on disk by then. */
const dubFields = z.object({
  video: z.string({ message: 'expected a file in the "video" field' }),
  audio: z.string({ message: 'expected a file in the "audio" field' }),
  fit: dubForm.shape.fit,
});

const createDubRoute = createRoute({
  method: 'post',
  path: '/v1/dubs',
  tags: ['dubs'],
  summary: 'Lip-sync translation: a video + new audio → the same video, mouth re-animated → a job',
  description:
    'The mouth and jaw of the person in the video follow the new audio; head motion, eyes, brows, background and framing stay the source pixels. Output: H.264 + AAC at the source frame rate and size, as long as the new audio. Frames without a usable face (none, a second face, a head turned too far) are left untouched and listed in the result (`passThrough`), cuts in `cuts`. Accepted jobs are stored on disk before the answer (202) and survive restarts; they share the queue, its concurrency and the /v1/jobs routes with video jobs (`kind: "dub"`). The uploads are checked on arrival (a video stream within the limits, audio that decodes to the end); whether the video shows a face is found by the job (DUB_NO_FACE fails it).',
  request: {
    body: { required: true, content: { 'multipart/form-data': { schema: dubForm } } },
  },
  responses: {
    202: {
      description: 'The accepted job',
      content: { 'application/json': { schema: JobSchema } },
    },
    413: {
      description: 'Upload too large, video or audio too long, frame too large',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    415: {
      description: 'Not a video / not audio, or wrong Content-Type',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    503: {
      description: 'Queue full (Retry-After)',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    ...errorResponses,
  },
});

/** `POST /v1/dubs`: multipart `video` + `audio` (+ `fit`) → a dub job in the shared queue. */
export function mountDubRoutes(
  app: OpenAPIHono<AppEnv>,
  services: AppServices,
  options: ResolvedAppOptions,
): void {
  app.openAPIRegistry.registerPath(createDubRoute);
  app.post('/v1/dubs', async (c) => {
    const form = await receiveMultipart(c, {
      dir: services.uploadDir,
      maxBodyBytes: options.maxVideoBytes + options.maxAudioBytes + FORM_OVERHEAD_BYTES,
      files: {
        video: {
          maxBytes: options.maxVideoBytes,
          accept: ['av-container'],
          describe: 'a video (MP4, MOV, WebM, MKV)',
        },
        audio: {
          maxBytes: options.maxAudioBytes,
          accept: ['audio', 'av-container'],
          describe: 'audio (WAV, MP3, OGG, FLAC, AAC, M4A …)',
        },
      },
    });
    try {
      const fields = dubFields.parse({
        ...form.fields,
        video: form.files.video?.path,
        audio: form.files.audio?.path,
      });
      const job = await submitDubJob(
        services.jobs,
        {
          videoPath: fields.video,
          audioPath: fields.audio,
          ...(fields.fit ? { fit: fields.fit } : {}),
        },
        {
          limits: {
            maxVideoDurationMs: options.maxVideoMs,
            maxAudioDurationMs: options.maxAudioMs,
          },
          signal: c.req.raw.signal,
        },
      );
      c.header('Location', `/v1/jobs/${job.id}`);
      return c.json(jobView(job), 202);
    } finally {
      await form.cleanup();
    }
  });
}
