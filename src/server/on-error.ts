import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { type ErrorKind, type FacecastError, isFacecastError } from '../core/index.ts';
import { LIVE_HTTP_STATUS } from '../live/index.ts';
import { ApiError } from './errors.ts';

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  input: 400,
  'not-found': 404,
  limit: 413,
  aborted: 499 as ContentfulStatusCode,
  internal: 500,
};

/** Codes whose HTTP status is more specific than their kind's. */
const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  UNAUTHORIZED: 401,
  ORIGIN_FORBIDDEN: 403,
  HOST_FORBIDDEN: 403,
  UPLOADS_BUSY: 503,
  JOB_OUTPUT_NOT_READY: 409,
  UNSUPPORTED_CONTENT_TYPE: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  QUEUE_FULL: 503,
  QUEUE_CLOSED: 503,
  QUEUE_UNAVAILABLE: 503,
  ...(LIVE_HTTP_STATUS as Record<string, ContentfulStatusCode>),
};

/**
 * The one place where errors become HTTP responses (the app's `onError`): a FacecastError by
 * its `code` and `kind`; Hono's own HTTPExceptions (malformed JSON, wrong content type, body
 * too large) by status; anything else is a 500 with a generic message (logged, never sent).
 */
export function toHttpError(
  error: unknown,
  hidden: readonly string[] = [],
): {
  status: ContentfulStatusCode;
  body: ErrorBody;
  internal: boolean;
} {
  const known = normalise(error);
  if (!known) {
    return {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal server error' } },
      internal: true,
    };
  }
  const status = STATUS_BY_CODE[known.code] ?? STATUS_BY_KIND[known.kind];
  if (known.kind === 'internal') {
    return {
      status,
      body: { error: { code: known.code, message: known.message.split('\n')[0] ?? '' } },
      internal: true,
    };
  }
  const body = known.toJSON();
  return {
    status,
    body: { error: { ...body, message: hide(body.message, hidden) } },
    internal: false,
  };
}

function normalise(error: unknown): FacecastError | undefined {
  if (isFacecastError(error)) return error;
  if (error instanceof z.ZodError) {
    return new ApiError('VALIDATION_FAILED', z.prettifyError(error).replaceAll('\n', ' '), {
      details: {
        issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    });
  }
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ApiError('PAYLOAD_TOO_LARGE', 'request body too large');
    if (error.status === 415) {
      return new ApiError('UNSUPPORTED_CONTENT_TYPE', 'unsupported Content-Type for this route');
    }
    if (error.status === 400 && /json/i.test(error.message)) {
      return new ApiError('INVALID_JSON', 'the request body is not valid JSON');
    }
    if (error.status === 400) return new ApiError('VALIDATION_FAILED', error.message);
  }
  return undefined;
}

/**
 * Replaces paths under the server's own folders (an upload's or a job's files) with
 * `<file>`: error messages of the media domains name the file they read, which on the
 * server is an internal name of no use to the client.
 */
function hide(message: string, folders: readonly string[]): string {
  let out = message;
  for (const folder of folders) {
    const escaped = folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`${escaped}[^\\s:;,()'"]*`, 'g'), '<file>');
  }
  return out;
}
