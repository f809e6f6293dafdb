import type { z } from 'zod';
import type { JobProgress, JobRecord, JobState } from './schema.ts';
import type { JobPaths } from './store.ts';

/** What a runner gets for one run of one job. */
export interface JobRunContext {
  /** Aborted when the job is canceled or the queue closes; stop promptly and throw. */
  signal: AbortSignal;
  /** The job's folders: read inputs from `inputDir`, write outputs under `dir`, scratch in `workDir`. */
  paths: JobPaths;
  /** Reports progress (kept in memory for live listeners, persisted at most once a second). */
  progress(progress: JobProgress): void;
}

/** Does the work of one job and returns its result (validated by `resultSchema`). */
export type JobRunner<I, R> = (input: I, context: JobRunContext) => Promise<R>;

export interface JobQueueOptions<I, R> {
  /** Folder holding one sub-folder per job (created if missing). */
  dir: string;
  /** Checks inputs on submit and job files on start-up. */
  inputSchema: z.ZodType<I>;
  /** Checks what the runner returns and job files on start-up. */
  resultSchema: z.ZodType<R>;
  runner: JobRunner<I, R>;
  /** Jobs running at once. Default 1. */
  concurrency?: number;
  /** Jobs waiting to run (running ones not counted); more are refused with QUEUE_FULL. Default 100. */
  maxQueued?: number;
  /** Runs started per job; a job interrupted by more restarts than this fails. Default 3. */
  maxAttempts?: number;
  /** Finished jobs and their files are removed this long after finishing; 0 keeps them. Default 24 h. */
  retentionMs?: number;
  /** Progress is written to disk at most this often, in ms. Default 1000. */
  progressPersistIntervalMs?: number;
}

export const JOB_QUEUE_DEFAULTS = Object.freeze({
  concurrency: 1,
  maxQueued: 100,
  maxAttempts: 3,
  retentionMs: 24 * 3_600_000,
  progressPersistIntervalMs: 1000,
});

/** A change to one job: its new record and the state it had before. */
export type JobListener<I, R> = (job: JobRecord<I, R>, previous: JobState | undefined) => void;

/** Counts for health and metrics. */
export interface JobQueueStats {
  waiting: number;
  running: number;
  byState: Record<JobState, number>;
}
