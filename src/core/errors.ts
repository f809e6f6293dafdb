/**
 * Base class for every error facecast raises on purpose. Each domain defines its own
 * subclasses in its `errors.ts`; the CLI and the HTTP edge map them to exit codes and
 * status codes by `code` and `kind` alone.
 */
export type ErrorKind =
  /** The caller's input is wrong (HTTP 4xx, CLI exit 2). */
  | 'input'
  /** Something the caller asked for does not exist (HTTP 404, CLI exit 2). */
  | 'not-found'
  /** The input exceeds a configured limit (HTTP 413, CLI exit 2). */
  | 'limit'
  /** The operation was aborted (HTTP 499, CLI exit 130). */
  | 'aborted'
  /** A fault of ours or of the environment (HTTP 500, CLI exit 1). */
  | 'internal';

export interface FacecastErrorOptions {
  cause?: unknown;
  /** Machine-readable extra facts (durations, limits) that travel with the error. */
  details?: Record<string, unknown>;
}

export class FacecastError extends Error {
  override readonly name: string = 'FacecastError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, kind: ErrorKind, message: string, options: FacecastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = kind;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class AbortedError extends FacecastError {
  override readonly name = 'AbortedError';
  constructor(message = 'operation aborted', options: FacecastErrorOptions = {}) {
    super('ABORTED', 'aborted', message, options);
  }
}

/** Throws `AbortedError` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
}

export function isFacecastError(error: unknown): error is FacecastError {
  return error instanceof FacecastError;
}
