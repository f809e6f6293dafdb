import { Readable } from 'node:stream';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { type DubJobInput, type DubJobResult, isDubJobInput } from '../../dub/index.ts';
import { isFinal, JobError, type JobRecord } from '../../jobs/index.ts';
import type { VideoJobInput, VideoJobResult } from '../../pipeline/index.ts';
import type { AppEnv, AppServices, ServiceJob } from '../context.ts';
import { parseRange } from '../range.ts';
import { ErrorSchema, errorResponses, JobIdParam, JobSchema, type JobView } from '../schemas.ts';

type VideoJob = JobRecord<VideoJobInput, VideoJobResult>;
type DubJob = JobRecord<DubJobInput, DubJobResult>;

/** The API view of a job: its kind, state and progress, a summary of its input, and links. */
export function jobView(job: ServiceJob): JobView {
  return isDubJobInput(job.input) ? dubView(job as DubJob) : videoView(job as VideoJob);
}

/** A dub job's view (POST /v1/dubs): input and result summaries, the untouched ranges. */
function dubView(job: DubJob): JobView {
  const { input, result } = job;
  return {
    ...commonView(job),
    kind: 'dub',
    input: {
      fit: input.fit,
      video: {
        widthPx: input.video.width,
        heightPx: input.video.height,
        ...(input.video.durationMs ? { durationMs: input.video.durationMs } : {}),
      },
      audioDurationMs: input.audio.durationMs,
    },
    ...(result
      ? {
          result: {
            durationMs: result.durationMs,
            frames: result.frames,
            fps: result.fps,
            widthPx: result.width,
            heightPx: result.height,
            sizeBytes: result.sizeBytes,
            fit: result.fit,
            variableFrameRate: result.variableFrameRate,
            silentAudio: result.silentAudio,
            sourceFrames: result.sourceFrames,
            dubbedSourceFrames: result.dubbedSourceFrames,
            passThrough: result.passThrough,
            cuts: result.cuts,
            renderer: result.renderer,
            timingsMs: result.timingsMs,
          },
        }
      : {}),
  };
}

/** State, times, progress, error and links: the same for every kind of job. */
function commonView(job: ServiceJob): Omit<JobView, 'kind' | 'input' | 'result'> {
  const base = `/v1/jobs/${job.id}`;
  return {
    id: job.id,
    state: job.state,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    attempts: job.attempts,
    progress: job.progress,
    ...(job.error ? { error: job.error } : {}),
    links: {
      self: base,
      events: `${base}/events`,
      ...(job.state === 'succeeded' ? { output: `${base}/output` } : {}),
    },
  };
}

function videoView(job: VideoJob): JobView {
  const base = `/v1/jobs/${job.id}`;
  const { result } = job;
  return {
    id: job.id,
    kind: 'video',
    state: job.state,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    attempts: job.attempts,
    progress: job.progress,
    input: {
      avatarId: job.input.avatarId,
      speech: job.input.speech.type,
      sizePx: job.input.sizePx,
      seed: job.input.seed,
    },
    ...(result
      ? {
          result: {
            durationMs: result.durationMs,
            frames: result.frames,
            fps: result.fps,
            sizePx: result.sizePx,
            sizeBytes: result.sizeBytes,
            renderer: result.renderer,
            timingsMs: result.timingsMs,
          },
        }
      : {}),
    ...(job.error ? { error: job.error } : {}),
    links: {
      self: base,
      events: `${base}/events`,
      ...(job.state === 'succeeded' ? { output: `${base}/output` } : {}),
    },
  };
}

const getJob = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  tags: ['jobs'],
  summary: 'A job: state, progress, result or error',
  request: { params: JobIdParam },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobSchema } } },
    ...errorResponses,
  },
});

const deleteJob = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  tags: ['jobs'],
  summary: 'Cancel a job (queued or running); remove a finished one and its files',
  description:
    'A queued or running job is stopped and reported `canceled` (its record stays, so clients can see what happened). A job already finished is deleted with its output; a later GET answers 404.',
  request: { params: JobIdParam },
  responses: {
    200: {
      description: 'The job after cancelation or removal',
      content: { 'application/json': { schema: JobSchema } },
    },
    ...errorResponses,
  },
});

const jobEvents = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  tags: ['jobs'],
  summary: 'Progress as Server-Sent Events until the job finishes',
  description:
    'Each event carries the job (as GET /v1/jobs/{id}) as JSON. Event names: `progress` while queued or running (at most 10 per second; intermediate updates are coalesced), then exactly one of `succeeded`, `failed`, `canceled`, after which the stream ends. A comment line is sent every 15 s to keep proxies from closing an idle stream.',
  request: { params: JobIdParam },
  responses: {
    200: {
      description: 'An event stream',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...errorResponses,
  },
});

const jobOutput = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/output',
  tags: ['jobs'],
  summary: 'The finished MP4 (H.264 + AAC); supports Range requests',
  request: { params: JobIdParam },
  responses: {
    200: {
      description: 'The whole file',
      content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    206: {
      description: 'The requested byte range',
      content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    409: {
      description: 'The job has no output (not finished, failed or canceled)',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    416: {
      description: 'Range outside the file',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    ...errorResponses,
  },
});

const SSE_MIN_INTERVAL_MS = 100;
const SSE_HEARTBEAT_MS = 15_000;

export function mountJobRoutes(app: OpenAPIHono<AppEnv>, services: AppServices): void {
  const { jobs } = services;

  app.openapi(getJob, async (c) => c.json(jobView(await jobs.get(c.req.valid('param').id)), 200));

  app.openapi(deleteJob, async (c) => {
    const { id } = c.req.valid('param');
    const job = await jobs.get(id);
    const after = isFinal(job.state) ? await jobs.remove(id) : await jobs.cancel(id);
    return c.json(jobView(after), 200);
  });

  app.openapi(jobEvents, async (c) => {
    const { id } = c.req.valid('param');
    // Listen first, then read: a change between the two is not missed (the newer record wins).
    let job: ServiceJob | undefined;
    let version = 0;
    let wake: (() => void) | undefined;
    const unsubscribe = jobs.subscribe(id, (changed) => {
      job = changed;
      version++;
      wake?.();
    });
    let current: ServiceJob;
    try {
      const stored = await jobs.get(id);
      current = job ?? stored;
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      const nextChange = () =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), SSE_HEARTBEAT_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
      try {
        for (let seq = 1; ; seq++) {
          const seen = version;
          current = job ?? current;
          const final = isFinal(current.state);
          await stream.writeSSE({
            id: String(seq),
            event: final ? current.state : 'progress',
            data: JSON.stringify(jobView(current)),
          });
          if (final) return;
          await sleep(SSE_MIN_INTERVAL_MS);
          while (version === seen && !closed) {
            if (!(await nextChange()) && !closed) await stream.write(': keep-alive\n\n');
          }
          if (closed) return;
        }
      } finally {
        wake = undefined;
        unsubscribe();
      }
    });
  });

  app.openapi(jobOutput, async (c) => {
    const { id } = c.req.valid('param');
    const job = await jobs.get(id);
    if (job.state !== 'succeeded' || !job.result) {
      throw new JobError('JOB_OUTPUT_NOT_READY', `job ${id} is ${job.state}; it has no output`, {
        details: { state: job.state },
      });
    }
    const { file } = job.result;
    const info = await jobs.storage.stat(id, file);
    const range = parseRange(c.req.header('range'), info.sizeBytes);
    const start = range?.start ?? 0;
    const end = range?.end ?? info.sizeBytes - 1;
    const headers: Record<string, string> = {
      'Content-Type': 'video/mp4',
      'Content-Length': String(end - start + 1),
      'Accept-Ranges': 'bytes',
      'Content-Disposition': `inline; filename="${id}.mp4"`,
      'Last-Modified': new Date(info.modifiedMs).toUTCString(),
      ETag: `"${info.sizeBytes.toString(16)}-${Math.floor(info.modifiedMs).toString(16)}"`,
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${info.sizeBytes}`;
    if (c.req.method === 'HEAD') return c.body(null, range ? 206 : 200, headers);
    const body = Readable.toWeb(jobs.storage.read(id, file, { start, end })) as ReadableStream;
    return c.body(body, range ? 206 : 200, headers);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
