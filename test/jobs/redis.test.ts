import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FacecastError } from '../../src/core/index.ts';
import {
  FolderStorage,
  type JobRecord,
  type JobRunContext,
  type JobWorkerOptions,
  openRedisJobQueue,
  startJobWorker,
} from '../../src/jobs/index.ts';
import { tempDir } from '../helpers/media.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis.ts';

// The Redis-backed queue with in-process workers and injected runners: events across nodes,
// cancel reaching the worker, retries of unexpected errors, a run that lost its lock never
// ending the job. Worker processes killed with SIGKILL are tested in test/server/workers.test.ts.

const missing = redisMissing();
if (missing) console.warn(`Redis queue tests SKIPPED: ${missing}`);

const inputSchema = z.object({ text: z.string() }).strict();
const resultSchema = z.object({ file: z.string(), bytes: z.number() }).strict();
type Input = z.infer<typeof inputSchema>;
type Result = z.infer<typeof resultSchema>;
type Runner = JobWorkerOptions<Input, Result>['runner'];

/** Writes `text` to `out.txt` through the scratch folder, once its gate opens (if it has one). */
function gatedRunner(gated: Set<string> = new Set()) {
  const gates = new Map<string, () => void>();
  const started: string[] = [];
  const runner: Runner = async (input: Input, ctx: JobRunContext) => {
    started.push(input.text);
    ctx.progress({ stage: 'work', fraction: 0.5, framesDone: 1, framesTotal: 2 });
    if (gated.has(input.text)) {
      await new Promise<void>((resolve, reject) => {
        gates.set(input.text, resolve);
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    await writeFile(join(ctx.paths.workDir, 'out.txt'), input.text);
    await rename(join(ctx.paths.workDir, 'out.txt'), join(ctx.paths.dir, 'out.txt'));
    return { file: 'out.txt', bytes: input.text.length };
  };
  return {
    runner,
    started,
    open: async (text: string) => {
      await until(() => gates.has(text));
      gates.get(text)?.();
    },
  };
}

type Maybe<T> = T | false | undefined;
async function until<T>(fn: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let redis: TestRedis | undefined;
beforeAll(async () => {
  if (!missing) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const temp = await tempDir('facecast-redis-jobs-');
  cleanups.push(temp.cleanup);
  const url = redis?.url ?? '';
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const storage = new FolderStorage(temp.dir);
  const api = await openRedisJobQueue({ url, prefix, storage, inputSchema, resultSchema });
  cleanups.push(() => api.close());
  const worker = async (runner: Runner, extra: Partial<JobWorkerOptions<Input, Result>> = {}) => {
    const started = await startJobWorker({
      url,
      prefix,
      storage,
      inputSchema,
      resultSchema,
      runner,
      retryDelayMs: 50,
      ...extra,
    });
    cleanups.push(() => started.close());
    return started;
  };
  const finished = (id: string) =>
    until(async () => {
      const job = await api.get(id);
      return ['succeeded', 'failed', 'canceled'].includes(job.state) && job;
    });
  return { api, worker, storage, dir: temp.dir, url, prefix, finished };
}

describe.skipIf(missing !== undefined)('Redis-backed queue', () => {
  it('a worker runs a submitted job; the API node sees every change and the output', async () => {
    const { api, worker, dir, finished } = await setUp();
    const seen: string[] = [];
    api.onChange((job, previous) =>
      seen.push(`${previous ?? '-'}>${job.state}:${job.progress.stage}`),
    );
    const gated = gatedRunner();
    await worker(gated.runner);
    const job = await api.submit({ text: 'hello' });
    expect(job.state).toBe('queued');
    const done = await finished(job.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, result: { bytes: 5 } });
    expect(await readFile(join(dir, job.id, 'out.txt'), 'utf8')).toBe('hello');
    // Inputs and every run's scratch folder are removed once the job is finished (the worker
    // removes its scratch folder right after it records the end, so allow it a moment).
    let left = await readdir(join(dir, job.id));
    for (let i = 0; i < 50 && left.length > 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await readdir(join(dir, job.id));
    }
    expect(left).toEqual(['out.txt']);
    expect(seen.slice(0, 2)).toEqual(['->queued:queued', 'queued>running:starting']);
    expect(seen).toContain('running>running:work');
    expect(seen.at(-1)).toBe('running>succeeded:done');
    await until(() => api.stats().byState.succeeded === 1);
    expect(api.stats()).toMatchObject({ waiting: 0, running: 0 });
  });

  it('cancel reaches the worker that runs the job; a queued job is canceled before it runs', async () => {
    const { api, worker, dir, finished } = await setUp();
    const gated = gatedRunner(new Set(['long', 'next']));
    await worker(gated.runner);
    const running = await api.submit({ text: 'long' });
    const waiting = await api.submit({ text: 'next' });
    await until(() => gated.started.includes('long'));
    expect((await api.cancel(waiting.id)).state).toBe('canceled');
    const canceled = await api.cancel(running.id);
    expect(canceled).toMatchObject({ state: 'canceled', error: { code: 'JOB_CANCELED' } });
    // The worker stops the run (its signal is aborted), never runs the canceled queued job,
    // and is free for the next one.
    const third = await api.submit({ text: 'third' });
    expect((await finished(third.id)).state).toBe('succeeded');
    expect(gated.started).toEqual(['long', 'third']);
    expect(existsSync(join(dir, running.id, 'out.txt'))).toBe(false);
    await until(async () => !existsSync(join(dir, running.id, 'work')));
    expect((await api.get(running.id)).state).toBe('canceled');
    await api.remove(running.id);
    await expect(api.get(running.id)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(existsSync(join(dir, running.id))).toBe(false);
  });

  it('a deliberate error fails at once; an unexpected one is retried, then fails with its error', async () => {
    const { api, worker, finished } = await setUp();
    let crashes = 0;
    await worker(
      async (input) => {
        if (input.text === 'bad') throw new FacecastError('AUDIO_TOO_SHORT', 'input', 'too short');
        crashes++;
        throw new TypeError('disk on fire');
      },
      { maxAttempts: 3 },
    );
    const bad = await api.submit({ text: 'bad' });
    const poison = await api.submit({ text: 'poison' });
    expect(await finished(bad.id)).toMatchObject({
      attempts: 1,
      error: { code: 'AUDIO_TOO_SHORT', message: 'too short' },
    });
    expect(await finished(poison.id)).toMatchObject({
      state: 'failed',
      attempts: 3,
      error: { code: 'JOB_FAILED', message: 'internal error: disk on fire' },
    });
    expect(crashes).toBe(3);
  });

  it('a run that lost its lock cannot end the job; the run that took it over does, once', async () => {
    const { api, worker, dir, finished } = await setUp();
    const ends: string[] = [];
    api.onChange((job, previous) => {
      if (previous === 'running' && job.state !== 'running') ends.push(job.state);
    });
    const gates: (() => void)[] = [];
    let runs = 0;
    const runner: Runner = async (input, ctx) => {
      const run = ++runs;
      // The first run freezes the event loop past its lock (as a CPU-bound step would).
      if (run === 1) for (const end = Date.now() + 1500; Date.now() < end; ) {}
      await new Promise<void>((resolve) => {
        gates[run] = resolve;
      });
      await writeFile(join(ctx.paths.dir, 'out.txt'), `${input.text} ${run}`);
      return { file: 'out.txt', bytes: run };
    };
    const logs: string[] = [];
    const options = {
      lockDurationMs: 600,
      stalledIntervalMs: 300,
      log: (l: string) => logs.push(l),
    };
    await worker(runner, options);
    await worker(runner, options);
    const job = await api.submit({ text: 'contested' });
    await until(() => gates[2]);
    // The first run ends while the second owns the job: its result is dropped.
    gates[1]?.();
    await until(() => logs.some((l) => l.includes('run ended succeeded, but the job was running')));
    expect((await api.get(job.id)).state).toBe('running');
    gates[2]?.();
    const done = await finished(job.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2, result: { bytes: 2 } });
    expect(await readFile(join(dir, job.id, 'out.txt'), 'utf8')).toBe('contested 2');
    expect(ends).toEqual(['succeeded']);
  });

  it('closing a worker puts its running job back; another worker finishes it', async () => {
    const { api, worker, finished } = await setUp();
    const first = gatedRunner(new Set(['handover']));
    const leaving = await worker(first.runner);
    const job = await api.submit({ text: 'handover' });
    await until(() => first.started.length === 1);
    await leaving.close();
    expect((await api.get(job.id)).state).toBe('queued');
    await worker(gatedRunner().runner);
    const done: JobRecord<Input, Result> = await finished(job.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('answers QUEUE_UNAVAILABLE, not a hang, when Redis goes away', async () => {
    const { storage } = await setUp();
    const own = await startRedis();
    const api = await openRedisJobQueue({ url: own.url, storage, inputSchema, resultSchema });
    cleanups.push(() => api.close());
    const job = await api.submit({ text: 'kept' });
    await own.stop();
    await expect(api.get(job.id)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    await expect(api.submit({ text: 'refused' })).rejects.toMatchObject({
      code: 'QUEUE_UNAVAILABLE',
    });
  });

  it('refuses an unreachable Redis with QUEUE_UNAVAILABLE', async () => {
    const { storage } = await setUp();
    await expect(
      openRedisJobQueue({
        url: 'redis://127.0.0.1:1',
        storage,
        inputSchema,
        resultSchema,
        connectTimeoutMs: 300,
      }),
    ).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
  });
});
