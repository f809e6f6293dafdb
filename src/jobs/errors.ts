import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for job-system problems. */
export type JobErrorCode =
  /** No job with that id (never existed, or expired and removed). */
  | 'JOB_NOT_FOUND'
  /** The job exists but has no output yet (queued, running, failed or canceled). */
  | 'JOB_OUTPUT_NOT_READY'
  /** The queue holds its maximum of waiting jobs; retry later. */
  | 'QUEUE_FULL'
  /** The queue was closed (server shutting down). */
  | 'QUEUE_CLOSED'
  /** The queue's Redis cannot be reached (`serve --queue`, `facecast worker`). */
  | 'QUEUE_UNAVAILABLE'
  /** The server (or the workers) stopped during the job more often than `maxAttempts` allows. */
  | 'JOB_INTERRUPTED'
  /** A job file on disk does not match the schema (hand-edited or from another version). */
  | 'JOB_FILE_INVALID'
  /** The job was canceled by a client. */
  | 'JOB_CANCELED'
  /** The job's runner failed with an error facecast did not raise on purpose. */
  | 'JOB_FAILED';

const kinds = {
  JOB_NOT_FOUND: 'not-found',
  JOB_OUTPUT_NOT_READY: 'input',
  QUEUE_FULL: 'limit',
  QUEUE_CLOSED: 'internal',
  QUEUE_UNAVAILABLE: 'internal',
  JOB_INTERRUPTED: 'internal',
  JOB_FILE_INVALID: 'internal',
  JOB_CANCELED: 'aborted',
  JOB_FAILED: 'internal',
} as const satisfies Record<JobErrorCode, FacecastError['kind']>;

export class JobError extends FacecastError {
  override readonly name = 'JobError';
  declare readonly code: JobErrorCode;
  constructor(code: JobErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
