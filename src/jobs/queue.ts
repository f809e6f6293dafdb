import { mkdir, rm } from 'node:fs/promises';
import { JobError } from './errors.ts';
import {
  JOB_QUEUE_DEFAULTS,
  type JobListener,
  type JobQueueOptions,
  type JobQueueStats,
} from './options.ts';
import {
  canceledFailure,
  finishedRecord,
  interruptedFailure,
  requeuedRecord,
  runJob,
  startedRecord,
} from './run.ts';
import {
  FINAL_STATES,
  type JobFailure,
  type JobProgress,
  type JobRecord,
  type JobState,
  jobProgressSchema,
} from './schema.ts';
import type { JobService, JobSubmission } from './service.ts';
import { FolderStorage } from './storage.ts';
import { type JobPaths, jobPaths, newJobId, scanJobs, writeJobFile } from './store.ts';

const CANCEL = Symbol('cancel');
const SHUTDOWN = Symbol('shutdown');

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * A persistent job queue with bounded concurrency. Every accepted job is a folder with a job
 * file written before `submit` returns; on {@link JobQueue.open} jobs left `running` by a
 * crash are queued again (up to `maxAttempts` runs), scratch folders are wiped, and the
 * queue resumes in submission order.
 *
 * @example
 * const queue = await JobQueue.open({ dir, inputSchema, resultSchema, runner });
 * const job = await queue.submit({ text: 'hi' });
 * queue.subscribe(job.id, (j) => console.log(j.state, j.progress.fraction));
 */
export class JobQueue<I, R> implements JobService<I, R> {
  readonly #options: Required<JobQueueOptions<I, R>>;
  readonly storage: FolderStorage;
  readonly #jobs = new Map<string, JobRecord<I, R>>();
  readonly #waiting: string[] = [];
  /** Submissions past the limit check whose job file is not written yet. */
  #accepting = 0;
  readonly #running = new Map<string, RunningJob>();
  readonly #listeners = new Set<JobListener<I, R>>();
  readonly #lastPersistMs = new Map<string, number>();
  /** Per-job chain of job-file writes, so two writes never interleave. */
  readonly #writes = new Map<string, Promise<void>>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: Required<JobQueueOptions<I, R>>) {
    this.#options = options;
    this.storage = new FolderStorage(options.dir);
  }

  /** Loads the jobs on disk, re-queues interrupted ones and starts running. */
  static async open<I, R>(options: JobQueueOptions<I, R>): Promise<JobQueue<I, R>> {
    const queue = new JobQueue<I, R>({ ...JOB_QUEUE_DEFAULTS, ...options });
    await queue.#recover();
    queue.#startSweeper();
    queue.#pump();
    return queue;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Accepts a job. `input` is the job's input, or a function that builds it: it receives the
   * job's folders, puts the input files into `paths.inputDir` (validating them, and throwing
   * to refuse the job: its folder is then removed) and returns the input. The job file is
   * written last: once this resolves, the job survives a crash. Resolves with the job as
   * accepted (a copy: the queue may already be running it).
   */
  async submit(input: JobSubmission<I>): Promise<JobRecord<I, R>> {
    this.#checkAccepting();
    // The slot is taken now, before any await: concurrent submissions cannot all pass the
    // check and then all be added.
    this.#accepting++;
    const id = newJobId();
    const paths = jobPaths(this.#options.dir, id);
    let record: JobRecord<I, R>;
    try {
      await mkdir(paths.inputDir, { recursive: true });
      const built =
        typeof input === 'function' ? await (input as (p: JobPaths) => Promise<I>)(paths) : input;
      const now = new Date().toISOString();
      record = {
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
      await writeJobFile(this.#options.dir, record);
    } catch (error) {
      await rm(paths.dir, { recursive: true, force: true });
      throw error;
    } finally {
      this.#accepting--;
    }
    this.#jobs.set(id, record);
    this.#waiting.push(id);
    this.#emit(record, undefined);
    const accepted = structuredClone(record);
    this.#pump();
    return accepted;
  }

  /** The job, or JOB_NOT_FOUND. */
  get(id: string): JobRecord<I, R> {
    const job = this.#jobs.get(id);
    if (!job) throw new JobError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`);
    return job;
  }

  /** Where a job's files are (the id is checked, so the path cannot escape the queue folder). */
  paths(id: string): JobPaths {
    this.get(id);
    return jobPaths(this.#options.dir, id);
  }

  list(): JobRecord<I, R>[] {
    return [...this.#jobs.values()];
  }

  stats(): JobQueueStats {
    const byState: Record<JobState, number> = {
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      canceled: 0,
    };
    for (const job of this.#jobs.values()) byState[job.state]++;
    return { waiting: this.#waiting.length, running: this.#running.size, byState };
  }

  /**
   * Cancels a queued or running job (resolves once it has stopped and is `canceled`).
   * A job already in a final state is returned unchanged.
   */
  async cancel(id: string): Promise<JobRecord<I, R>> {
    const job = this.get(id);
    const running = this.#running.get(id);
    if (running) {
      running.controller.abort(CANCEL);
      await running.done;
    } else if (job.state === 'queued') {
      this.#waiting.splice(this.#waiting.indexOf(id), 1);
      await this.#finish(job, 'canceled', { error: canceledFailure() });
    }
    return this.get(id);
  }

  /** Removes a finished job and its files. Unfinished jobs are canceled first. */
  async remove(id: string): Promise<JobRecord<I, R>> {
    const job = await this.cancel(id);
    this.#jobs.delete(id);
    this.#lastPersistMs.delete(id);
    await this.#writes.get(id)?.catch(() => undefined);
    this.#writes.delete(id);
    await rm(jobPaths(this.#options.dir, id).dir, { recursive: true, force: true });
    return job;
  }

  /**
   * Calls `listener` on every change of every job (state and progress). Returns the
   * function that unsubscribes.
   */
  onChange(listener: JobListener<I, R>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Like {@link onChange} for one job. */
  subscribe(id: string, listener: JobListener<I, R>): () => void {
    this.get(id);
    return this.onChange((job, previous) => {
      if (job.id === id) listener(job, previous);
    });
  }

  /** Removes finished jobs older than `retentionMs`; returns their ids. */
  async removeExpired(nowMs = Date.now()): Promise<string[]> {
    const { retentionMs } = this.#options;
    if (retentionMs <= 0) return [];
    const expired = [...this.#jobs.values()].filter(
      (job) => job.finishedAt !== undefined && nowMs - Date.parse(job.finishedAt) > retentionMs,
    );
    for (const job of expired) await this.remove(job.id);
    return expired.map((job) => job.id);
  }

  /**
   * Stops taking jobs and stops the running ones; they go back to `queued` on disk, so the
   * next {@link JobQueue.open} runs them again. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweepTimer);
      for (const running of this.#running.values()) running.controller.abort(SHUTDOWN);
      await Promise.all([...this.#running.values()].map((r) => r.done));
      this.#listeners.clear();
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.closed) throw new JobError('QUEUE_CLOSED', 'the job queue is shutting down');
  }

  #checkAccepting(): void {
    this.#checkOpen();
    const waiting = this.#waiting.length + this.#accepting;
    if (waiting >= this.#options.maxQueued) {
      throw new JobError(
        'QUEUE_FULL',
        `${waiting} jobs are waiting or being accepted; the limit is ${this.#options.maxQueued}. Retry later.`,
        { details: { waiting, maxQueued: this.#options.maxQueued } },
      );
    }
  }

  async #recover(): Promise<void> {
    const { dir, inputSchema, resultSchema, maxAttempts } = this.#options;
    const scan = await scanJobs(dir, inputSchema, resultSchema);
    for (const { id, reason } of scan.skipped) {
      process.emitWarning(`job ${id} left alone: its job file is invalid (${reason})`);
    }
    for (const job of scan.jobs) {
      const paths = jobPaths(dir, job.id);
      await rm(paths.workDir, { recursive: true, force: true });
      this.#jobs.set(job.id, job);
      if (job.state === 'running') {
        if (job.attempts >= maxAttempts) {
          await this.#finish(job, 'failed', { error: interruptedFailure(job.attempts, 'server') });
          continue;
        }
        this.#update(job, requeuedRecord(job, false));
        await this.#persist(job);
      }
      if (job.state === 'queued') this.#waiting.push(job.id);
      else await rm(paths.inputDir, { recursive: true, force: true });
    }
  }

  #startSweeper(): void {
    const { retentionMs } = this.#options;
    if (retentionMs <= 0) return;
    const everyMs = Math.min(Math.max(retentionMs / 4, 1000), 600_000);
    this.#sweepTimer = setInterval(() => {
      this.removeExpired().catch((error: unknown) =>
        process.emitWarning(`job retention sweep failed: ${(error as Error).message}`),
      );
    }, everyMs);
    this.#sweepTimer.unref();
  }

  #pump(): void {
    while (
      !this.closed &&
      this.#running.size < this.#options.concurrency &&
      this.#waiting.length > 0
    ) {
      const id = this.#waiting.shift() as string;
      const job = this.#jobs.get(id);
      if (job?.state !== 'queued') continue;
      const controller = new AbortController();
      const done = this.#run(job, controller.signal).finally(() => {
        this.#running.delete(id);
        this.#pump();
      });
      this.#running.set(id, { controller, done });
    }
  }

  async #run(job: JobRecord<I, R>, signal: AbortSignal): Promise<void> {
    const paths = jobPaths(this.#options.dir, job.id);
    this.#update(job, startedRecord(job));
    try {
      await this.#persist(job);
    } catch (error) {
      await this.#finish(job, 'failed', { error: toPersistFailure(error) });
      return;
    }
    const outcome = await runJob(job.input, {
      runner: this.#options.runner,
      resultSchema: this.#options.resultSchema,
      signal,
      paths,
      progress: (progress) => this.#progress(job, progress, signal),
    });
    if (outcome.kind === 'succeeded') {
      await this.#finish(job, 'succeeded', { result: outcome.result });
    } else if (outcome.kind === 'aborted' && outcome.reason === SHUTDOWN) {
      this.#update(job, requeuedRecord(job, true));
      await this.#persist(job).catch(() => undefined);
    } else if (outcome.kind === 'aborted' && outcome.reason === CANCEL) {
      await this.#finish(job, 'canceled', { error: canceledFailure() });
    } else {
      const error =
        outcome.kind === 'failed'
          ? outcome.failure
          : { code: 'JOB_FAILED', message: 'internal error: the run was aborted' };
      await this.#finish(job, 'failed', { error });
    }
  }

  #progress(job: JobRecord<I, R>, progress: JobProgress, signal: AbortSignal): void {
    if (signal.aborted || job.state !== 'running') return;
    this.#update(job, { progress: jobProgressSchema.parse(progress) });
    const now = Date.now();
    if (now - (this.#lastPersistMs.get(job.id) ?? 0) >= this.#options.progressPersistIntervalMs) {
      this.#lastPersistMs.set(job.id, now);
      this.#persist(job).catch((error: unknown) =>
        process.emitWarning(`could not save progress of ${job.id}: ${(error as Error).message}`),
      );
    }
  }

  /**
   * Moves a job to a final state. The new record is written and the inputs removed before
   * anyone sees the new state: a finished job is durable and has no leftovers.
   */
  async #finish(
    job: JobRecord<I, R>,
    state: 'succeeded' | 'failed' | 'canceled',
    outcome: { result?: R; error?: JobFailure },
  ): Promise<void> {
    const next = finishedRecord(job, state, outcome);
    await this.#persist(job, next);
    await rm(jobPaths(this.#options.dir, job.id).inputDir, { recursive: true, force: true });
    this.#update(job, next);
  }

  #update(job: JobRecord<I, R>, patch: Partial<JobRecord<I, R>>): void {
    const previous = job.state;
    Object.assign(job, patch, { updatedAt: new Date().toISOString() });
    this.#emit(job, previous);
  }

  /** Writes `snapshot` (default: the job as it is when the write runs) as the job's file. */
  #persist(job: JobRecord<I, R>, snapshot?: JobRecord<I, R>): Promise<void> {
    const write = (this.#writes.get(job.id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        if (this.#jobs.get(job.id) === job) await writeJobFile(this.#options.dir, snapshot ?? job);
      });
    this.#writes.set(job.id, write);
    return write;
  }

  #emit(job: JobRecord<I, R>, previous: JobState | undefined): void {
    for (const listener of this.#listeners) {
      try {
        listener(job, previous);
      } catch (error) {
        process.emitWarning(`job listener failed: ${(error as Error).message}`);
      }
    }
  }
}

function toPersistFailure(error: unknown): JobFailure {
  return {
    code: 'JOB_FAILED',
    message: `internal error: could not save the job: ${(error as Error).message}`,
  };
}

/** True for `succeeded`, `failed` and `canceled`. */
export function isFinal(state: JobState): boolean {
  return FINAL_STATES.has(state);
}
