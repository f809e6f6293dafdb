import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FacecastError } from '../../src/core/index.ts';
import {
  JobQueue,
  type JobQueueOptions,
  type JobRecord,
  type JobRunContext,
  jobRecordSchema,
} from '../../src/jobs/index.ts';
import { tempDir } from '../helpers/media.ts';

// These tests exercise the queue itself (persistence, concurrency, cancel, recovery). Its
// runner is the queue's injected dependency; the product's real runner (the video pipeline)
// is tested end to end through HTTP in test/server.

const inputSchema = z.object({ text: z.string() }).strict();
const resultSchema = z.object({ file: z.string(), bytes: z.number() }).strict();
type Input = z.infer<typeof inputSchema>;
type Result = z.infer<typeof resultSchema>;

/** A runner that writes `input.text` to an output file once the test opens its gate. */
function gatedRunner() {
  const gates = new Map<string, () => void>();
  const started: string[] = [];
  let active = 0;
  let maxActive = 0;
  const runner = async (input: Input, ctx: JobRunContext): Promise<Result> => {
    started.push(input.text);
    active++;
    maxActive = Math.max(maxActive, active);
    try {
      await writeFile(join(ctx.paths.workDir, 'scratch'), 'tmp');
      ctx.progress({ stage: 'work', fraction: 0.5, framesDone: 1, framesTotal: 2 });
      await new Promise<void>((resolve, reject) => {
        gates.set(input.text, resolve);
        // An abort during the write above has already fired: do not wait for it.
        if (ctx.signal.aborted) reject(new Error('aborted'));
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
      const file = join(ctx.paths.dir, 'out.txt');
      await writeFile(file, input.text);
      return { file: 'out.txt', bytes: input.text.length };
    } finally {
      active--;
    }
  };
  return {
    runner,
    started,
    maxActive: () => maxActive,
    open: async (text: string) => {
      while (!gates.has(text)) await tick();
      gates.get(text)?.();
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

async function until<T>(fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await tick();
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openQueue(
  dir: string,
  runner: JobQueueOptions<Input, Result>['runner'],
  extra: Partial<JobQueueOptions<Input, Result>> = {},
): Promise<JobQueue<Input, Result>> {
  const queue = await JobQueue.open({ dir, inputSchema, resultSchema, runner, ...extra });
  cleanups.push(() => queue.close());
  return queue;
}

async function newDir(): Promise<string> {
  const { dir, cleanup } = await tempDir('facecast-jobs-');
  cleanups.push(cleanup);
  return dir;
}

const waitState = (queue: JobQueue<Input, Result>, id: string, state: JobRecord['state']) =>
  until(() => queue.get(id).state === state && queue.get(id));

describe('JobQueue', () => {
  it('runs a job to success, persists the record and removes its input and scratch folders', async () => {
    const dir = await newDir();
    const gated = gatedRunner();
    const queue = await openQueue(dir, gated.runner);
    const seen: string[] = [];
    const job = await queue.submit(async (paths) => {
      await writeFile(join(paths.inputDir, 'upload.bin'), 'x');
      return { text: 'hello' };
    });
    queue.subscribe(job.id, (j) => seen.push(`${j.state}:${j.progress.stage}`));
    expect(JSON.parse(await readFile(join(dir, job.id, 'job.json'), 'utf8')).state).toBe('queued');
    await until(() => seen.includes('running:work'));
    expect(existsSync(join(dir, job.id, 'work', 'scratch'))).toBe(true);
    await gated.open('hello');
    const done = await waitState(queue, job.id, 'succeeded');
    expect(done.result).toEqual({ file: 'out.txt', bytes: 5 });
    expect(done.progress).toMatchObject({ stage: 'done', fraction: 1 });
    expect(done.attempts).toBe(1);
    const onDisk = jobRecordSchema.parse(
      JSON.parse(await readFile(join(dir, job.id, 'job.json'), 'utf8')),
    );
    expect(onDisk.state).toBe('succeeded');
    expect(onDisk.result).toEqual({ file: 'out.txt', bytes: 5 });
    expect(await readFile(join(dir, job.id, 'out.txt'), 'utf8')).toBe('hello');
    expect(existsSync(join(dir, job.id, 'work'))).toBe(false);
    expect(existsSync(join(dir, job.id, 'input'))).toBe(false);
  });

  it('never runs more than `concurrency` jobs at once and keeps submission order', async () => {
    const dir = await newDir();
    const gated = gatedRunner();
    const queue = await openQueue(dir, gated.runner, { concurrency: 2 });
    const startOrder: string[] = [];
    queue.onChange((job, previous) => {
      if (job.state === 'running' && previous === 'queued') startOrder.push(job.input.text);
    });
    const jobs = [];
    for (const text of ['a', 'b', 'c', 'd']) jobs.push(await queue.submit({ text }));
    await until(() => gated.started.length === 2);
    expect(queue.stats()).toMatchObject({ running: 2, waiting: 2 });
    for (const text of ['a', 'b', 'c', 'd']) await gated.open(text);
    for (const job of jobs) await waitState(queue, job.id, 'succeeded');
    expect(startOrder).toEqual(['a', 'b', 'c', 'd']);
    expect(gated.maxActive()).toBe(2);
  });

  it('refuses jobs past maxQueued with QUEUE_FULL and rejects invalid input', async () => {
    const dir = await newDir();
    const gated = gatedRunner();
    const queue = await openQueue(dir, gated.runner, { maxQueued: 1 });
    await queue.submit({ text: 'running' });
    await until(() => gated.started.length === 1);
    await queue.submit({ text: 'waiting' });
    await expect(queue.submit({ text: 'refused' })).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await expect(queue.submit({ text: 1 } as unknown as Input)).rejects.toThrow();
    expect(queue.list()).toHaveLength(2);
  });

  it('holds maxQueued under 20 concurrent submissions: exactly 6 of 20 accepted with a cap of 6', async () => {
    const dir = await newDir();
    const queue = await openQueue(dir, async () => ({ file: 'none', bytes: 0 }), {
      maxQueued: 6,
      concurrency: 1,
    });
    // Each submission awaits its input builder, as the HTTP routes do (files are moved in).
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        queue.submit(async () => {
          await tick();
          return { text: `job ${i}` };
        }),
      ),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as FacecastError).code === 'QUEUE_FULL',
    );
    expect({ accepted: accepted.length, refused: refused.length }).toEqual({
      accepted: 6,
      refused: 14,
    });
    expect(queue.list()).toHaveLength(6);
  });

  it('cancels a queued job before it runs and a running job through its signal', async () => {
    const dir = await newDir();
    const gated = gatedRunner();
    const queue = await openQueue(dir, gated.runner);
    const running = await queue.submit({ text: 'first' });
    const waiting = await queue.submit({ text: 'second' });
    await until(() => gated.started.length === 1);
    const canceledWaiting = await queue.cancel(waiting.id);
    expect(canceledWaiting.state).toBe('canceled');
    const canceledRunning = await queue.cancel(running.id);
    expect(canceledRunning).toMatchObject({ state: 'canceled', error: { code: 'JOB_CANCELED' } });
    expect(gated.started).toEqual(['first']);
    expect(existsSync(join(dir, running.id, 'work'))).toBe(false);
    const removed = await queue.remove(running.id);
    expect(removed.id).toBe(running.id);
    expect(existsSync(join(dir, running.id))).toBe(false);
    expect(() => queue.get(running.id)).toThrow(expect.objectContaining({ code: 'JOB_NOT_FOUND' }));
  });

  it('records the error code of a failed run', async () => {
    const dir = await newDir();
    const queue = await openQueue(dir, async (input) => {
      if (input.text === 'bad') throw new FacecastError('AUDIO_TOO_SHORT', 'input', 'too short');
      throw new TypeError('boom');
    });
    const bad = await queue.submit({ text: 'bad' });
    const crash = await queue.submit({ text: 'crash' });
    expect((await waitState(queue, bad.id, 'failed')).error).toEqual({
      code: 'AUDIO_TOO_SHORT',
      message: 'too short',
    });
    expect((await waitState(queue, crash.id, 'failed')).error?.code).toBe('JOB_FAILED');
  });

  it('fails a run whose result does not match the result schema', async () => {
    const dir = await newDir();
    const queue = await openQueue(dir, async () => ({ file: 1 }) as unknown as Result);
    const job = await queue.submit({ text: 'x' });
    expect((await waitState(queue, job.id, 'failed')).error?.code).toBe('JOB_FAILED');
  });

  it('after a crash re-queues a job left running and runs it to the end', async () => {
    const dir = await newDir();
    const first = gatedRunner();
    const crashed = await openQueue(dir, first.runner);
    const job = await crashed.submit({ text: 'survivor' });
    await until(() => first.started.length === 1);
    // The first queue is abandoned mid-run, as a killed process would leave it.
    const onDisk = JSON.parse(await readFile(join(dir, job.id, 'job.json'), 'utf8'));
    expect(onDisk.state).toBe('running');
    // A job-file write the crash cut short.
    await writeFile(join(dir, job.id, 'job.json.4242.tmp'), '{"format":"facecast.jo');
    const second = gatedRunner();
    const restarted = await openQueue(dir, second.runner);
    await until(() => second.started.length === 1);
    await second.open('survivor');
    const done = await waitState(restarted, job.id, 'succeeded');
    expect(done.attempts).toBe(2);
    expect(existsSync(join(dir, job.id, 'job.json.4242.tmp'))).toBe(false);
  });

  it('fails a job interrupted more often than maxAttempts', async () => {
    const dir = await newDir();
    const gated = gatedRunner();
    const crashed = await openQueue(dir, gated.runner);
    const job = await crashed.submit({ text: 'unlucky' });
    await until(() => gated.started.length === 1);
    const restarted = await openQueue(dir, gatedRunner().runner, { maxAttempts: 1 });
    expect(restarted.get(job.id)).toMatchObject({
      state: 'failed',
      error: { code: 'JOB_INTERRUPTED' },
    });
  });

  it('a graceful close puts running jobs back in the queue for the next start', async () => {
    const dir = await newDir();
    const gated = gatedRunner();
    const queue = await JobQueue.open({ dir, inputSchema, resultSchema, runner: gated.runner });
    const job = await queue.submit({ text: 'later' });
    await until(() => gated.started.length === 1);
    await queue.close();
    await queue.close();
    const onDisk = JSON.parse(await readFile(join(dir, job.id, 'job.json'), 'utf8'));
    expect(onDisk).toMatchObject({ state: 'queued', attempts: 0 });
    await expect(queue.submit({ text: 'no' })).rejects.toMatchObject({ code: 'QUEUE_CLOSED' });
    const next = gatedRunner();
    const reopened = await openQueue(dir, next.runner);
    await next.open('later');
    expect((await waitState(reopened, job.id, 'succeeded')).attempts).toBe(1);
  });

  it('removes uncommitted folders at start-up, keeps invalid job files out and on disk', async () => {
    const dir = await newDir();
    const half = join(dir, 'job_AAAAAAAAAAAAAAAA');
    const damaged = join(dir, 'job_BBBBBBBBBBBBBBBB');
    await mkdir(join(half, 'input'), { recursive: true });
    await mkdir(damaged, { recursive: true });
    await writeFile(join(damaged, 'job.json'), '{"format":"facecast.job","version":99}');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const queue = await openQueue(dir, gatedRunner().runner);
    await tick();
    process.off('warning', onWarning);
    expect(existsSync(half)).toBe(false);
    expect(existsSync(join(damaged, 'job.json'))).toBe(true);
    expect(queue.list()).toEqual([]);
    expect(warnings.some((w) => w.includes('job_BBBBBBBBBBBBBBBB'))).toBe(true);
  });

  it('a refused submission leaves nothing behind', async () => {
    const dir = await newDir();
    const queue = await openQueue(dir, gatedRunner().runner);
    await expect(
      queue.submit(async () => {
        throw new FacecastError('MEDIA_UNREADABLE', 'input', 'not audio');
      }),
    ).rejects.toMatchObject({ code: 'MEDIA_UNREADABLE' });
    expect(queue.list()).toEqual([]);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes finished jobs after the retention time', async () => {
    const dir = await newDir();
    const queue = await openQueue(dir, async () => ({ file: 'f', bytes: 0 }), {
      retentionMs: 60_000,
    });
    const job = await queue.submit({ text: 'old' });
    const done = await waitState(queue, job.id, 'succeeded');
    const finishedMs = Date.parse(done.finishedAt as string);
    expect(await queue.removeExpired(finishedMs + 30_000)).toEqual([]);
    expect(await queue.removeExpired(finishedMs + 61_000)).toEqual([job.id]);
    expect(existsSync(join(dir, job.id))).toBe(false);
  });
});
