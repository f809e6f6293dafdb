import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from './errors.ts';
import { isJson, isMultipart } from './upload.ts';

/** Upload routes: their multipart bodies stream to disk under their own limits (multipart.ts). */
export const UPLOAD_ROUTES: ReadonlySet<string> = new Set([
  '/v1/avatars',
  '/v1/videos',
  '/v1/dubs',
]);

/** Seconds a client is told to wait when every upload slot is taken. */
export const UPLOADS_RETRY_AFTER_S = 5;

/** A multipart POST to an upload route. */
const isUpload = (c: Context) =>
  c.req.method === 'POST' && UPLOAD_ROUTES.has(c.req.path) && isMultipart(c);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True when the request carries a body (a length above 0, or a chunked one). */
function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  if (length !== undefined) return Number(length) > 0;
  return c.req.header('transfer-encoding') !== undefined;
}

/**
 * Limits on every request body except the upload routes' (which stream to disk under their
 * own limits): at most `maxBytes` (PAYLOAD_TOO_LARGE, 413, before the body is read when it
 * declares its length), and a state-changing request with a body must declare JSON
 * (UNSUPPORTED_CONTENT_TYPE, 415) — a `text/plain` body is never parsed as JSON.
 */
export function jsonBodyLimits(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `the request body is limited to ${maxBytes} bytes`, {
        details: { maxBytes },
      });
    },
  });
  return async (c, next) => {
    if (isUpload(c)) return next();
    if (STATE_CHANGING.has(c.req.method) && hasBody(c) && !isJson(c)) {
      throw new ApiError('UNSUPPORTED_CONTENT_TYPE', 'expected an application/json body');
    }
    return limit(c, next);
  };
}

/**
 * A cap on uploads in flight: past `max`, an upload route answers 503 UPLOADS_BUSY with
 * `Retry-After` before reading its body. A slot is held until the handler is done.
 */
export function uploadGate(max: number): MiddlewareHandler & { readonly inFlight: number } {
  let inFlight = 0;
  const gate: MiddlewareHandler = async (c, next) => {
    if (!isUpload(c)) return next();
    if (inFlight >= max) {
      throw new ApiError('UPLOADS_BUSY', `${inFlight} uploads are in progress; retry shortly`, {
        details: { maxUploads: max, retryAfterS: UPLOADS_RETRY_AFTER_S },
      });
    }
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  };
  return Object.defineProperty(gate, 'inFlight', { get: () => inFlight }) as MiddlewareHandler & {
    readonly inFlight: number;
  };
}
