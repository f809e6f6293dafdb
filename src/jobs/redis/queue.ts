import { mkdir } from 'node:fs/promises';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { JobError } from '../errors.ts';
import type { JobListener, JobQueueStats } from '../options.ts';
import { canceledFailure, finishedRecord } from '../run.ts';
import { FINAL_STATES, type JobRecord, type JobState } from '../schema.ts';
import type { JobService, JobSubmission } from '../service.ts';
import type { JobStorage } from '../storage.ts';
import { newJobId } from '../store.ts';
import {
  asQueueError,
  BULL_QUEUE_NAME,
  connectRedis,
  REDIS_QUEUE_DEFAULTS,
  type RedisQueueLocation,
  waitForRedis,
} from './connection.ts';
import { jobEventSchema, RedisJobRecords } from './records.ts';

export interface RedisJobQueueOptions<I, R> extends RedisQueueLocation {
  /** Where inputs are stored and outputs read: the folder every worker also reaches. */
  storage: JobStorage;
  inputSchema: z.ZodType<I>;
  resultSchema: z.ZodType<R>;
  /** Jobs waiting to run (all nodes together); more are refused with QUEUE_FULL. Default 100. */
  maxQueued?: number;
  /** Finished jobs and their files are removed this long after finishing; 0 keeps them. Default 24 h. */
  retentionMs?: number;
  /** How long start-up waits for Redis before QUEUE_UNAVAILABLE, ms. Default 5000. */
  connectTimeoutMs?: number;
}

export const REDIS_JOB_QUEUE_DEFAULTS = Object.freeze({
  ...REDIS_QUEUE_DEFAULTS,
  maxQueued: 100,
  retentionMs: 24 * 3_600_000,
  connectTimeoutMs: 5000,
});

/**
 * BullMQ job options. The records, not BullMQ, keep a job's history, so BullMQ's copy goes
 * once handled. A processor only throws when Redis failed under it (job outcomes are records):
 * BullMQ tries such a job again a few times.
 */
const ADD_OPTIONS = Object.freeze({
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 5,
  backoff: { type: 'fixed', delay: 2000 },
});

/** Counts for {@link RedisJobQueue.stats} are refreshed this often, ms. */
const STATS_INTERVAL_MS = 1000;

/**
 * The API side of the Redis-backed queue (`facecast serve --queue redis://…`): accepts jobs
 * into BullMQ, reads records from Redis, streams every job's changes from the events channel
 * (so any API node serves any job's SSE) and sends cancels to whichever worker runs the job.
 * Jobs are run by {@link JobWorker}s, in other processes or on other hosts.
 *
 * @example
 * const jobs = await RedisJobQueue.open({ url: 'redis://127.0.0.1:6379', storage, inputSchema, resultSchema });
 * const job = await jobs.submit(input);
 */
export class RedisJobQueue<I, R> implements JobService<I, R> {
  readonly storage: JobStorage;
  readonly #options: Required<RedisJobQueueOptions<I, R>>;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #records: RedisJobRecords<I, R>;
  readonly #bull: Queue;
  readonly #listeners = new Set<JobListener<I, R>>();
  #stats: JobQueueStats = emptyStats();
  /** Submissions past the limit check whose record is not written yet (this node only). */
  #accepting = 0;
  #timers: NodeJS.Timeout[] = [];
  #closing: Promise<void> | undefined;

  private constructor(options: Required<RedisJobQueueOptions<I, R>>) {
    this.#options = options;
    this.storage = options.storage;
    this.#redis = connectRedis(options.url, 'facecast-api', { waitThroughOutages: false });
    this.#subscriber = connectRedis(options.url, 'facecast-api-events', {
      waitThroughOutages: true,
    });
    this.#records = new RedisJobRecords(this.#redis, options.prefix, options);
    this.#bull = new Queue(BULL_QUEUE_NAME, {
      connection: this.#redis,
      prefix: `${options.prefix}:bull`,
    });
  }

  /** Connects (QUEUE_UNAVAILABLE when Redis does not answer in time) and starts listening. */
  static async open<I, R>(options: RedisJobQueueOptions<I, R>): Promise<RedisJobQueue<I, R>> {
    const queue = new RedisJobQueue<I, R>({ ...REDIS_JOB_QUEUE_DEFAULTS, ...options });
    try {
      await queue.#start();
    } catch (error) {
      await queue.close();
      throw error;
    }
    return queue;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  submit(input: JobSubmission<I>): Promise<JobRecord<I, R>> {
    return this.#redisCall(() => this.#submit(input));
  }

  async #submit(input: JobSubmission<I>): Promise<JobRecord<I, R>> {
    this.#checkOpen();
    this.#accepting++;
    const id = newJobId();
    const paths = this.storage.paths(id);
    try {
      const waiting = (await this.#records.counts()).queued + this.#accepting - 1;
      if (waiting >= this.#options.maxQueued) throw queueFull(waiting, this.#options.maxQueued);
      await mkdir(paths.inputDir, { recursive: true });
      const built =
        typeof input === 'function'
          ? await (input as (p: typeof paths) => Promise<I>)(paths)
          : input;
      const now = new Date().toISOString();
      const record: JobRecord<I, R> = {
        format: 'facecast.job',
        version: 1,
        id,
        state: 'queued',
        createdAt: now,
        updatedAt: now,
        attempts: 0,
        progress: { stage: 'queued', fraction: 0 },
        input: this.#options.inputSchema.parse(built),
      };
      this.#checkOpen();
      // The record first: a worker that takes the job finds it. The job counts as accepted
      // once both writes are done; a failure in between takes the record back.
      await this.#records.create(record);
      await this.#bull
        .add('job', {}, { ...ADD_OPTIONS, jobId: id })
        .catch(async (error: unknown) => {
          await this.#records.delete(id).catch(() => undefined);
          throw error;
        });
      return record;
    } catch (error) {
      await this.storage.removeJob(id).catch(() => undefined);
      throw error;
    } finally {
      this.#accepting--;
    }
  }

  get(id: string): Promise<JobRecord<I, R>> {
    return this.#redisCall(() => this.#records.get(id));
  }

  /**
   * Cancels a queued or running job at once: the record becomes `canceled`, a queued job is
   * taken out of BullMQ, and the worker running it is told to stop (it drops what it made).
   */
  cancel(id: string): Promise<JobRecord<I, R>> {
    return this.#redisCall(() => this.#cancel(id));
  }

  async #cancel(id: string): Promise<JobRecord<I, R>> {
    let previous: JobState | undefined;
    const canceled = await this.#records.update(id, ({ record }) => {
      previous = record.state;
      if (FINAL_STATES.has(record.state)) return undefined;
      return { record: finishedRecord(record, 'canceled', { error: canceledFailure() }) };
    });
    if (!canceled) return this.#records.get(id);
    if (previous === 'running') {
      await this.#redis.publish(this.#records.cancelChannel, id);
    } else {
      // A queued job: out of BullMQ (a worker that took it meanwhile finds it canceled).
      await this.#bull.remove(id).catch(() => 0);
      await this.storage.removeInputs(id);
    }
    return canceled;
  }

  remove(id: string): Promise<JobRecord<I, R>> {
    return this.#redisCall(() => this.#remove(id));
  }

  async #remove(id: string): Promise<JobRecord<I, R>> {
    const job = await this.#cancel(id);
    await this.#records.delete(id);
    await this.#bull.remove(id).catch(() => 0);
    await this.storage.removeJob(id);
    return job;
  }

  onChange(listener: JobListener<I, R>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  subscribe(id: string, listener: JobListener<I, R>): () => void {
    return this.onChange((job, previous) => {
      if (job.id === id) listener(job, previous);
    });
  }

  stats(): JobQueueStats {
    return this.#stats;
  }

  /** Removes finished jobs older than `retentionMs` (any API node may do it); returns their ids. */
  async removeExpired(nowMs = Date.now()): Promise<string[]> {
    const { retentionMs } = this.#options;
    if (retentionMs <= 0) return [];
    const expired = await this.#records.finishedBefore(nowMs - retentionMs);
    for (const id of expired) {
      await this.#records.delete(id);
      await this.storage.removeJob(id);
    }
    return expired;
  }

  /** Stops listening and disconnects. Jobs stay in Redis; workers keep running them. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const timer of this.#timers) clearInterval(timer);
      this.#listeners.clear();
      await this.#bull.close().catch(() => undefined);
      this.#subscriber.disconnect();
      this.#redis.disconnect();
    })();
    return this.#closing;
  }

  async #start(): Promise<void> {
    await waitForRedis(
      [this.#redis, this.#subscriber],
      this.#options.url,
      this.#options.connectTimeoutMs,
    );
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#records.eventsChannel) this.#onEvent(message);
    });
    await this.#subscriber.subscribe(this.#records.eventsChannel);
    await this.#refreshStats();
    this.#every(STATS_INTERVAL_MS, () => this.#refreshStats());
    const { retentionMs } = this.#options;
    if (retentionMs > 0) {
      this.#every(Math.min(Math.max(retentionMs / 4, 1000), 600_000), () =>
        this.removeExpired().then(() => undefined),
      );
    }
  }

  #every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) =>
        process.emitWarning(`job queue: ${(error as Error).message}`),
      );
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  async #refreshStats(): Promise<void> {
    const byState = await this.#records.counts();
    this.#stats = { waiting: byState.queued, running: byState.running, byState };
  }

  #onEvent(message: string): void {
    let job: JobRecord<I, R>;
    let previous: JobState | undefined;
    try {
      const event = jobEventSchema.parse(JSON.parse(message));
      job = this.#records.parse(event.record);
      previous = event.previous;
    } catch (error) {
      process.emitWarning(`job queue: ignored a malformed event: ${(error as Error).message}`);
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(job, previous);
      } catch (error) {
        process.emitWarning(`job listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** Runs a Redis-backed operation; Redis being unreachable becomes QUEUE_UNAVAILABLE. */
  async #redisCall<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw asQueueError(error);
    }
  }

  #checkOpen(): void {
    if (this.closed) throw new JobError('QUEUE_CLOSED', 'the job queue is shutting down');
  }
}

function emptyStats(): JobQueueStats {
  return {
    waiting: 0,
    running: 0,
    byState: { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 },
  };
}

function queueFull(waiting: number, maxQueued: number): JobError {
  return new JobError(
    'QUEUE_FULL',
    `${waiting} jobs are waiting or being accepted; the limit is ${maxQueued}. Retry later.`,
    { details: { waiting, maxQueued } },
  );
}
