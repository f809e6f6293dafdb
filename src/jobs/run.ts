import { mkdir, rm } from 'node:fs/promises';
import type { z } from 'zod';
import { isFacecastError } from '../core/index.ts';
import type { JobRunner } from './options.ts';
import type { JobFailure, JobProgress, JobRecord } from './schema.ts';
import type { JobPaths } from './store.ts';

/**
 * The job state machine and the execution of one run, shared by every queue backend (the
 * embedded on-disk {@link JobQueue} and the Redis workers): the backends differ only in where
 * records live and how runs are handed out.
 */

/** How one run ended. `aborted` carries the signal's reason (cancel, shutdown …). */
export type RunOutcome<R> =
  | { kind: 'succeeded'; result: R }
  | { kind: 'aborted'; reason: unknown }
  | {
      kind: 'failed';
      failure: JobFailure;
      /** A FacecastError (bad input, no face …): running it again gives the same answer. */
      deliberate: boolean;
    };

export interface RunJobOptions<I, R> {
  runner: JobRunner<I, R>;
  resultSchema: z.ZodType<R>;
  signal: AbortSignal;
  /** The job's folders; `workDir` is created before and removed after the run. */
  paths: JobPaths;
  progress(progress: JobProgress): void;
}

/**
 * Runs a job's runner once: creates the scratch folder, checks the result against the
 * schema, removes the scratch folder (before anyone sees the outcome, so a finished run has
 * no leftovers) and reports how it ended. Never throws.
 */
export async function runJob<I, R>(input: I, options: RunJobOptions<I, R>): Promise<RunOutcome<R>> {
  const { runner, resultSchema, signal, paths, progress } = options;
  let outcome: RunOutcome<R>;
  try {
    await mkdir(paths.workDir, { recursive: true });
    const result = await runner(input, { signal, paths, progress });
    outcome = { kind: 'succeeded', result: resultSchema.parse(result) };
  } catch (error) {
    outcome = signal.aborted
      ? { kind: 'aborted', reason: signal.reason }
      : { kind: 'failed', failure: toFailure(error), deliberate: isFacecastError(error) };
  }
  await rm(paths.workDir, { recursive: true, force: true }).catch(() => undefined);
  return outcome;
}

/** The record of a job whose run starts now (one more attempt). */
export function startedRecord<I, R>(job: JobRecord<I, R>): JobRecord<I, R> {
  const now = new Date().toISOString();
  return {
    ...job,
    state: 'running',
    attempts: job.attempts + 1,
    startedAt: now,
    updatedAt: now,
    progress: { stage: 'starting', fraction: 0 },
  };
}

/** The record of a job put back in the queue; `refund` gives back the attempt of a run stopped on purpose. */
export function requeuedRecord<I, R>(job: JobRecord<I, R>, refund: boolean): JobRecord<I, R> {
  return {
    ...job,
    state: 'queued',
    attempts: refund ? Math.max(0, job.attempts - 1) : job.attempts,
    updatedAt: new Date().toISOString(),
    progress: { stage: 'queued', fraction: 0 },
  };
}

/** The record of a job that reached a final state. */
export function finishedRecord<I, R>(
  job: JobRecord<I, R>,
  state: 'succeeded' | 'failed' | 'canceled',
  outcome: { result?: R; error?: JobFailure },
): JobRecord<I, R> {
  const progress =
    state === 'succeeded' ? { ...job.progress, stage: 'done', fraction: 1 } : job.progress;
  const now = new Date().toISOString();
  return { ...job, state, finishedAt: now, updatedAt: now, progress, ...outcome };
}

export function canceledFailure(): JobFailure {
  return { code: 'JOB_CANCELED', message: 'the job was canceled' };
}

/** The failure of a job whose runs were all cut short (its process died each time). */
export function interruptedFailure(attempts: number, by: 'server' | 'worker'): JobFailure {
  return {
    code: 'JOB_INTERRUPTED',
    message: `the ${by} stopped during each of this job's ${attempts} runs`,
  };
}

export function toFailure(error: unknown): JobFailure {
  if (isFacecastError(error)) return error.toJSON();
  return {
    code: 'JOB_FAILED',
    message: `internal error: ${error instanceof Error ? error.message : String(error)}`,
  };
}
