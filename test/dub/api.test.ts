import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FacecastServer, resolveServerConfig, startServer } from '../../src/server/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { readSse } from '../helpers/sse.ts';
import { mp4Facts } from '../helpers/video.ts';

// POST /v1/dubs is a job in the product's one job queue: same SSE events, output route,
// cancel, persistence and limits as video jobs.

let server: FacecastServer;
let dir: string;
let cleanup: () => Promise<void>;
let short: string;
let speech: string;
let m4a: string;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of known shape, checked by the assertions
type Body = Record<string, any>;
const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
const json = async (res: Response) => (await res.json()) as Body;
const file = async (path: string, name: string) => new File([await readFile(path)], name);

async function dubForm(video: string, audio: string, fit?: string): Promise<FormData> {
  const form = new FormData();
  form.set('video', await file(video, 'video.mp4'));
  form.set('audio', await file(audio, 'speech.wav'));
  if (fit) form.set('fit', fit);
  return form;
}

const start = () =>
  startServer(
    resolveServerConfig({ port: 0, dataDir: join(dir, 'data'), maxVideoBytes: 400_000 }, {}),
  );

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-dub-api-'));
  short = join(dir, 'short.mp4');
  await ffmpeg(['-i', fixture('dub/retalking.mp4'), '-t', '1.2', '-c', 'copy', short]);
  speech = join(dir, 'speech.wav');
  await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '1.6', speech]);
  m4a = join(dir, 'sound.m4a');
  await ffmpeg(['-i', speech, '-c:a', 'aac', m4a]);
  server = await start();
});

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('POST /v1/dubs', () => {
  it('runs a dub as a job: SSE progress, the MP4, the untouched ranges; it survives a restart', async () => {
    const res = await api('/v1/dubs', {
      method: 'POST',
      body: await dubForm(short, speech, 'loop'),
    });
    expect(res.status).toBe(202);
    const job = await json(res);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({ kind: 'dub', state: 'queued', input: { fit: 'loop' } });
    expect(job.input.video).toMatchObject({ widthPx: 700, heightPx: 700 });
    const events = await readSse(await api(`/v1/jobs/${job.id}/events`));
    expect(events.at(-1)?.event).toBe('succeeded');
    const stages = new Set(
      events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data).progress.stage),
    );
    expect(stages.has('track') || stages.has('render')).toBe(true);
    const done = await json(await api(`/v1/jobs/${job.id}`));
    expect(done.result).toMatchObject({ fit: 'loop', frames: 48, fps: 30, passThrough: [] });
    const output = await api(done.links.output);
    expect(output.headers.get('content-type')).toBe('video/mp4');
    const mp4 = join(dir, 'dubbed.mp4');
    await writeFile(mp4, new Uint8Array(await output.arrayBuffer()));
    const facts = await mp4Facts(mp4);
    expect([facts.videoCodec, facts.audioCodec, facts.width]).toEqual(['h264', 'aac', 700]);
    expect(Math.abs(facts.videoDurationMs - 1600)).toBeLessThan(34);
    const metrics = await (await api('/metrics')).text();
    expect(metrics).toMatch(/facecast_jobs_finished_total\{state="succeeded"\} 1/);

    // The job file is read back by the union schema after a restart.
    await server.close();
    server = await start();
    const again = await json(await api(`/v1/jobs/${job.id}`));
    expect(again).toMatchObject({ kind: 'dub', state: 'succeeded', result: { frames: 48 } });
  });

  it('cancels a dub like any job', async () => {
    const res = await api('/v1/dubs', { method: 'POST', body: await dubForm(short, speech) });
    const job = await json(res);
    const canceled = await json(await api(`/v1/jobs/${job.id}`, { method: 'DELETE' }));
    expect(canceled.state).toBe('canceled');
    expect(canceled.error.code).toBe('JOB_CANCELED');
    const events = await readSse(await api(`/v1/jobs/${job.id}/events`));
    expect(events.map((e) => e.event)).toEqual(['canceled']);
    expect((await api(`/v1/jobs/${job.id}/output`)).status).toBe(409);
  });

  it('refuses bad uploads with a 4xx and a stable code', async () => {
    const expectError = async (body: FormData, status: number, code: string) => {
      const res = await api('/v1/dubs', { method: 'POST', body });
      expect({ status: res.status, code: (await json(res)).error?.code }).toEqual({ status, code });
    };
    await expectError(await dubForm(speech, speech), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(await dubForm(m4a, speech), 400, 'MEDIA_NO_VIDEO');
    await expectError(
      await dubForm(fixture('dub/retalking.mp4'), speech),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await expectError(await dubForm(short, speech, 'bounce'), 400, 'VALIDATION_FAILED');
    const noAudio = new FormData();
    noAudio.set('video', await file(short, 'v.mp4'));
    await expectError(noAudio, 400, 'VALIDATION_FAILED');
    const doc = await json(await api('/openapi.json'));
    expect(doc.paths['/v1/dubs'].post.requestBody.content).toHaveProperty('multipart/form-data');
  });
});
