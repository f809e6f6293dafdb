import { z } from 'zod';

/**
 * Job ids: a type prefix and 16 url-safe random characters. The pattern is also what keeps
 * an id from ever naming a path outside the job folder (no `/`, no `..`).
 */
export const JOB_ID_PATTERN = /^job_[A-Za-z0-9_-]{16}$/;
export const jobIdSchema = z.string().regex(JOB_ID_PATTERN, 'not a job id');

export const jobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']);
/** `queued` → `running` → `succeeded` | `failed` | `canceled` (a restart puts `running` back to `queued`). */
export type JobState = z.infer<typeof jobStateSchema>;
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'canceled']);

export const jobProgressSchema = z
  .object({
    /** Current stage name (`queued`, `decode`, `motion`, `render`, `encode`, `done` …). */
    stage: z.string().min(1).max(40),
    /** Fraction of the whole job done, 0–1. */
    fraction: z.number().min(0).max(1),
    framesDone: z.number().int().nonnegative().optional(),
    framesTotal: z.number().int().nonnegative().optional(),
  })
  .strict();
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const jobFailureSchema = z
  .object({
    code: z.string().min(1),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type JobFailure = z.infer<typeof jobFailureSchema>;

const isoTime = z.iso.datetime();

/**
 * The job file `<dir>/<id>/job.json` (format `facecast.job`, version 1). `input` and `result`
 * are checked by the queue owner's schemas ({@link JobQueueOptions}).
 */
export const jobRecordSchema = z
  .object({
    format: z.literal('facecast.job'),
    version: z.literal(1),
    id: jobIdSchema,
    state: jobStateSchema,
    createdAt: isoTime,
    updatedAt: isoTime,
    startedAt: isoTime.optional(),
    finishedAt: isoTime.optional(),
    /** How many times a run was started (a restart during a run counts one more). */
    attempts: z.number().int().nonnegative(),
    progress: jobProgressSchema,
    input: z.unknown(),
    result: z.unknown().optional(),
    error: jobFailureSchema.optional(),
  })
  .strict();

/** A job as stored and as reported, with its owner's input and result types. */
export type JobRecord<I = unknown, R = unknown> = Omit<
  z.infer<typeof jobRecordSchema>,
  'input' | 'result'
> & { input: I; result?: R };
