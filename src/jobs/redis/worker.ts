import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DelayedError, type Job, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { JobRunner } from '../options.ts';
import {
  canceledFailure,
  finishedRecord,
  interruptedFailure,
  type RunOutcome,
  requeuedRecord,
  runJob,
  startedRecord,
} from '../run.ts';
import { FINAL_STATES, type JobFailure, type JobProgress, jobProgressSchema } from '../schema.ts';
import type { JobStorage } from '../storage.ts';
import {
  BULL_QUEUE_NAME,
  connectRedis,
  REDIS_QUEUE_DEFAULTS,
  type RedisQueueLocation,
  waitForRedis,
} from './connection.ts';
import { RedisJobRecords } from './records.ts';

export interface JobWorkerOptions<I, R> extends RedisQueueLocation {
  /** The folder (or store) the API nodes put inputs in; outputs go there too. */
  storage: JobStorage;
  inputSchema: z.ZodType<I>;
  resultSchema: z.ZodType<R>;
  runner: JobRunner<I, R>;
  /** Jobs this worker runs at once. Default 1. */
  concurrency?: number;
  /**
   * Runs started per job, across all workers: a job whose worker died this often fails with
   * JOB_INTERRUPTED, and one whose run threw an unexpected error this often fails with that
   * error. Default 3.
   */
  maxAttempts?: number;
  /**
   * A run's lock lasts this long and is renewed at half of it; a worker silent for longer
   * (killed, frozen, cut off from Redis) loses the job to another. Default 30 000 ms.
   */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired, ms. Default 15 000. */
  stalledIntervalMs?: number;
  /** Delay before a run that threw an unexpected error is tried again, ms. Default 2000. */
  retryDelayMs?: number;
  /** Progress is written to Redis (and streamed to clients) at most this often, ms. Default 200. */
  progressIntervalMs?: number;
  /** Called with one line per event worth logging (job started, finished, retried). */
  log?: (line: string) => void;
}

export const JOB_WORKER_DEFAULTS = Object.freeze({
  ...REDIS_QUEUE_DEFAULTS,
  concurrency: 1,
  maxAttempts: 3,
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  retryDelayMs: 2000,
  progressIntervalMs: 200,
  log: (_line: string) => {},
});

/** Abort reasons of a run: a client canceled it, or this worker is shutting down. */
const CANCEL = 'cancel';
const SHUTDOWN = 'shutdown';

/**
 * A process's share of the Redis-backed queue (`facecast worker`): takes video and dub jobs
 * from BullMQ and runs them with the same runner and state machine as the embedded queue.
 * A killed worker's jobs are taken over by others once their lock expires (BullMQ's stalled
 * jobs); every record change is a compare-and-set owned by the run's token, so a run that
 * lost its job can neither report progress nor finish it; outputs are renamed into place
 * complete; a cancel published by any API node aborts the run here.
 *
 * @example
 * const worker = await JobWorker.start({ url, storage, inputSchema, resultSchema, runner });
 * process.once('SIGTERM', () => void worker.close());
 */
export class JobWorker<I, R> {
  /** Names this worker in run tokens and Redis client lists. */
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #options: Required<JobWorkerOptions<I, R>>;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #records: RedisJobRecords<I, R>;
  #worker: Worker | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: Required<JobWorkerOptions<I, R>>) {
    this.#options = options;
    const mode = { waitThroughOutages: true };
    this.#redis = connectRedis(options.url, 'facecast-worker', mode);
    this.#subscriber = connectRedis(options.url, 'facecast-worker-cancel', mode);
    this.#records = new RedisJobRecords(this.#redis, options.prefix, options);
  }

  /** Connects (QUEUE_UNAVAILABLE when Redis does not answer in 5 s) and starts taking jobs. */
  static async start<I, R>(options: JobWorkerOptions<I, R>): Promise<JobWorker<I, R>> {
    const worker = new JobWorker<I, R>({ ...JOB_WORKER_DEFAULTS, ...options });
    try {
      await worker.#start();
    } catch (error) {
      await worker.close();
      throw error;
    }
    return worker;
  }

  /**
   * Stops taking jobs; running ones are stopped and put back in the queue for another worker
   * (their attempt is not counted). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Stop taking jobs first, then stop the running ones (they go back to the queue).
      const stopped = this.#worker?.close().catch(() => undefined);
      this.#worker?.cancelAllJobs(SHUTDOWN);
      await stopped;
      this.#subscriber.disconnect();
      this.#redis.disconnect();
    })();
    return this.#closing;
  }

  async #start(): Promise<void> {
    const { url, prefix, concurrency, lockDurationMs, stalledIntervalMs, maxAttempts } =
      this.#options;
    await waitForRedis([this.#redis, this.#subscriber], url, 5000);
    this.#subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.#records.cancelChannel) this.#worker?.cancelJob(id, CANCEL);
    });
    await this.#subscriber.subscribe(this.#records.cancelChannel);
    const worker = new Worker(
      BULL_QUEUE_NAME,
      (job: Job, token: string | undefined, signal: AbortSignal | undefined) =>
        this.#process(job, token, signal),
      {
        connection: this.#redis,
        prefix: `${prefix}:bull`,
        concurrency,
        lockDuration: lockDurationMs,
        stalledInterval: stalledIntervalMs,
        // The records count attempts and fail a job that keeps killing workers; BullMQ must
        // not give up on a stalled job before they do.
        maxStalledCount: maxAttempts + 1,
        name: this.id,
      },
    );
    worker.on('error', (error) => this.#options.log(`worker: ${error.message}`));
    worker.on('failed', (job, error) =>
      this.#options.log(`${job?.id ?? '?'}: BullMQ failed its run (${error.message})`),
    );
    this.#worker = worker;
    await worker.waitUntilReady();
  }

  async #process(job: Job, token: string | undefined, signal: AbortSignal | undefined) {
    const id = job.id ?? '';
    if (!signal) throw new Error('BullMQ gave the processor no abort signal');
    const run = `${this.id}-${randomBytes(4).toString('hex')}`;
    const started = await this.#begin(id, run);
    if (!started) return;
    const outcome = await runJob(started.input, {
      runner: this.#options.runner,
      resultSchema: this.#options.resultSchema,
      signal,
      paths: this.#options.storage.paths(id, run),
      progress: this.#throttledProgress(id, run, signal),
    });
    if (outcome.kind === 'aborted' && outcome.reason === SHUTDOWN) {
      await this.#requeue(id, run, true);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (
      outcome.kind === 'failed' &&
      !outcome.deliberate &&
      started.attempts < this.#options.maxAttempts
    ) {
      this.#options.log(
        `${id}: run ${started.attempts} failed (${outcome.failure.message}); retrying`,
      );
      await this.#requeue(id, run, false);
      await job.moveToDelayed(Date.now() + this.#options.retryDelayMs, token);
      throw new DelayedError();
    }
    await this.#end(id, run, outcome);
  }

  /** Takes the job for run `run`; undefined when it is finished (or gone) or out of attempts. */
  async #begin(id: string, run: string) {
    const { maxAttempts, log } = this.#options;
    let exhausted = false;
    const record = await this.#records.update(id, ({ record }) => {
      if (FINAL_STATES.has(record.state)) return undefined;
      exhausted = record.attempts >= maxAttempts;
      if (exhausted) {
        const error = interruptedFailure(record.attempts, 'worker');
        return { record: finishedRecord(record, 'failed', { error }) };
      }
      return { record: startedRecord(record), run };
    });
    if (!record || exhausted) {
      // Finished meanwhile (canceled while queued, or by a run this one replaced): no inputs left.
      await this.#options.storage.removeInputs(id).catch(() => undefined);
      if (exhausted) log(`${id}: failed, its worker died during each of ${maxAttempts} runs`);
      return undefined;
    }
    log(`${id}: run ${record.attempts} started`);
    return record;
  }

  /** Reports how the run ended, unless the job is no longer this run's (never ends twice). */
  async #end(id: string, run: string, outcome: RunOutcome<R>): Promise<void> {
    const { state, result, error } = finalOutcome(outcome);
    const ended = await this.#records.update(id, (stored) =>
      stored.run === run && stored.record.state === 'running'
        ? { record: finishedRecord(stored.record, state, result ? { result } : { error }) }
        : undefined,
    );
    if (ended) {
      await this.#options.storage.removeInputs(id);
      this.#options.log(`${id}: ${state}${error ? ` (${error.code}: ${error.message})` : ''}`);
      return;
    }
    // Canceled meanwhile, or taken over by another run: drop an output nobody will report,
    // unless the job did succeed (then the file is that run's, or one just as complete).
    const now = await this.#records.read(id);
    const file = result === undefined ? undefined : fileOf(result);
    if (file && now?.record.state !== 'succeeded') {
      await this.#options.storage.removeFile(id, file).catch(() => undefined);
    }
    if (!now) await this.#options.storage.removeJob(id);
    else if (FINAL_STATES.has(now.record.state)) await this.#options.storage.removeInputs(id);
    this.#options.log(
      `${id}: run ended ${state}, but the job was ${now?.record.state ?? 'removed'} by then`,
    );
  }

  async #requeue(id: string, run: string, refund: boolean): Promise<void> {
    await this.#records.update(id, (stored) =>
      stored.run === run && stored.record.state === 'running'
        ? { record: requeuedRecord(stored.record, refund) }
        : undefined,
    );
  }

  #throttledProgress(id: string, run: string, signal: AbortSignal) {
    let lastMs = 0;
    let writing = false;
    return (progress: JobProgress) => {
      const now = Date.now();
      if (signal.aborted || writing || now - lastMs < this.#options.progressIntervalMs) return;
      const checked = jobProgressSchema.parse(progress);
      lastMs = now;
      writing = true;
      this.#records
        .update(id, (stored) =>
          stored.run === run && stored.record.state === 'running'
            ? {
                record: {
                  ...stored.record,
                  progress: checked,
                  updatedAt: new Date().toISOString(),
                },
              }
            : undefined,
        )
        .catch((error: unknown) =>
          process.emitWarning(`could not save progress of ${id}: ${(error as Error).message}`),
        )
        .finally(() => {
          writing = false;
        });
    };
  }
}

/** The final state a run's outcome gives its job (a shutdown never gets here). */
function finalOutcome<R>(outcome: RunOutcome<R>): {
  state: 'succeeded' | 'failed' | 'canceled';
  result?: R;
  error?: JobFailure;
} {
  if (outcome.kind === 'succeeded') return { state: 'succeeded', result: outcome.result };
  if (outcome.kind === 'failed') return { state: 'failed', error: outcome.failure };
  if (outcome.reason === CANCEL) return { state: 'canceled', error: canceledFailure() };
  return {
    state: 'failed',
    error: { code: 'JOB_FAILED', message: 'internal error: the run was aborted' },
  };
}

/** The output file named by a result (`file`), if it names one. */
function fileOf(result: unknown): string | undefined {
  const file = (result as { file?: unknown } | null)?.file;
  return typeof file === 'string' ? file : undefined;
}
