import type { JobListener, JobQueueStats } from './options.ts';
import type { JobRecord } from './schema.ts';
import type { JobStorage } from './storage.ts';
import type { JobPaths } from './store.ts';

/** What {@link JobService.submit} takes: the input, or a function that stores the input files and builds it. */
export type JobSubmission<I> = I | ((paths: JobPaths) => Promise<I>);

/**
 * What the API needs from a job queue, whichever backend holds the jobs: the embedded
 * on-disk {@link JobQueue} (one process) or the Redis-backed queue (`serve --queue`, jobs run
 * by `facecast worker` processes). Same records, states, error codes and events.
 */
export interface JobService<I, R> {
  readonly closed: boolean;
  /** Where inputs and outputs are stored. */
  readonly storage: JobStorage;
  /** Accepts a job; resolves once it is durable (see {@link JobQueue.submit}). */
  submit(input: JobSubmission<I>): Promise<JobRecord<I, R>>;
  /** The job, or JOB_NOT_FOUND (in memory for the embedded queue, hence not always a promise). */
  get(id: string): JobRecord<I, R> | Promise<JobRecord<I, R>>;
  /** Cancels a queued or running job; a finished one is returned unchanged. */
  cancel(id: string): Promise<JobRecord<I, R>>;
  /** Removes a job and its files (an unfinished one is canceled first). */
  remove(id: string): Promise<JobRecord<I, R>>;
  /** Every change (state and progress) of every job; returns the unsubscribe function. */
  onChange(listener: JobListener<I, R>): () => void;
  /** Like {@link onChange} for one job. */
  subscribe(id: string, listener: JobListener<I, R>): () => void;
  /** Counts for health and metrics (the Redis backend's are at most a second old). */
  stats(): JobQueueStats;
  close(): Promise<void>;
}
