import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis.ts';
import {
  type ServerProcess,
  startServerProcess,
  startWorkerProcess,
  type WorkerProcess,
} from '../helpers/server.ts';
import { readSse } from '../helpers/sse.ts';
import { mp4Facts } from '../helpers/video.ts';

// `facecast serve --queue` with two `facecast worker` processes on loopback, all real child
// processes sharing one data folder and one redis-server of the test's own. One worker is
// killed with SIGKILL in the middle of a render: its job is taken over by the other worker
// once the lock expires, every job ends exactly once, and every output is a complete MP4.

const missing = redisMissing();
if (missing) console.warn(`Redis worker e2e test SKIPPED: ${missing}`);

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of known shape, checked by the assertions
type Body = Record<string, any>;

let processes: (ServerProcess | WorkerProcess)[] = [];
let redis: TestRedis | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const child of processes) await child.kill('SIGKILL');
  processes = [];
  await redis?.stop();
  await cleanup?.();
});

const file = async (path: string, name: string) => new File([await readFile(path)], name);

describe.skipIf(missing !== undefined)('facecast serve --queue + facecast worker', () => {
  // ~75 s with the machine loaded 10× past its 2 cores; the margin is for worse.
  it('6 jobs, 2 workers, one SIGKILLed mid-render: all succeed once with valid MP4s', {
    timeout: 240_000,
  }, async () => {
    const temp = await tempDir('facecast-workers-');
    cleanup = temp.cleanup;
    redis = await startRedis();
    const dataDir = join(temp.dir, 'data');
    const speech = join(temp.dir, 'speech.wav');
    await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '3', speech]);
    const dubVideo = join(temp.dir, 'short.mp4');
    await ffmpeg(['-i', fixture('dub/retalking.mp4'), '-t', '1.2', '-c', 'copy', dubVideo]);
    const queue = ['--queue', redis.url, '--data-dir', dataDir];
    // A short lock, so the killed worker's job is taken over within seconds.
    const workerArgs = [...queue, '--concurrency', '1', '--lock-ms', '4000'];
    const [api, first, second] = await Promise.all([
      startServerProcess(queue),
      startWorkerProcess(workerArgs),
      startWorkerProcess(workerArgs),
    ]);
    processes.push(api, first, second);
    const call = (path: string, init?: RequestInit) => fetch(`${api.url}${path}`, init);

    const photo = new FormData();
    photo.set('photo', await file(fixture('face/portrait_s42.jpg'), 's42.jpg'));
    const avatar = (await (
      await call('/v1/avatars', { method: 'POST', body: photo })
    ).json()) as Body;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const form = new FormData();
      form.set('avatarId', avatar.id);
      form.set('sizePx', '256');
      form.set('audio', await file(speech, 'speech.wav'));
      const res = await call('/v1/videos', { method: 'POST', body: form });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as Body).id);
    }
    const dub = new FormData();
    dub.set('video', await file(dubVideo, 'video.mp4'));
    dub.set('audio', await file(speech, 'speech.wav'));
    const dubRes = await call('/v1/dubs', { method: 'POST', body: dub });
    expect(dubRes.status).toBe(202);
    const dubId = ((await dubRes.json()) as Body).id as string;
    ids.push(dubId);

    // Kill the first worker while one of its video renders is under way (frames done, not all).
    const victim = await until(async () => {
      const started = first.events().map((e) => /^(job_\S+): run 1 started/.exec(e)?.[1]);
      for (const id of started) {
        if (!id || id === dubId) continue;
        const job = (await (await call(`/v1/jobs/${id}`)).json()) as Body;
        const { framesDone = 0, framesTotal = 1 } = job.progress;
        if (job.state === 'running' && framesDone > 0 && framesDone < framesTotal) return id;
      }
      return undefined;
    });
    await first.kill('SIGKILL');

    const finals: Body[] = [];
    for (const id of ids) {
      const events = await readSse(await call(`/v1/jobs/${id}/events`));
      expect(events.at(-1)?.event).toBe('succeeded');
      finals.push(JSON.parse(events.at(-1)?.data ?? '{}') as Body);
    }
    const killed = finals.find((job) => job.id === victim);
    expect(killed).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(second.events()).toContain(`${victim}: run 2 started`);
    expect(finals.filter((job) => job.kind === 'dub')).toHaveLength(1);

    // None ended twice: the API node counted exactly one finish per job.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const metrics = await (await call('/metrics')).text();
    expect(metrics).toMatch(/facecast_jobs_finished_total\{state="succeeded"\} 6\n/);
    expect(second.events().filter((e) => / succeeded$/.test(e)).length).toBeGreaterThanOrEqual(1);

    const audioMs = (await decodeAudioFile(speech)).durationMs;
    for (const job of finals) {
      const mp4 = join(temp.dir, `${job.id}.mp4`);
      const output = await call(`/v1/jobs/${job.id}/output`);
      expect(output.status).toBe(200);
      await writeFile(mp4, new Uint8Array(await output.arrayBuffer()));
      const facts = await mp4Facts(mp4);
      expect([facts.videoCodec, facts.audioCodec]).toEqual(['h264', 'aac']);
      if (job.kind === 'video') expect(facts.width).toBe(256);
      expect(Math.abs(facts.videoDurationMs - audioMs)).toBeLessThanOrEqual(40);
      // Inputs and every run's scratch folder (the killed one's too) are gone.
      expect(await readdir(join(dataDir, 'jobs', job.id))).toEqual(['output.mp4']);
    }
  });
});

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
