import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import { ApiError } from './errors.ts';
import { SNIFF_BYTES, type Sniffed, type SniffedKind, sniffMedia } from './sniff.ts';

/** True when the request declares a multipart body. */
export function isMultipart(c: Context): boolean {
  return /^multipart\/form-data\s*;/i.test(c.req.header('content-type') ?? '');
}

/** True when the request declares a JSON body. */
export function isJson(c: Context): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(c.req.header('content-type') ?? '');
}

/**
 * Parses a multipart body and validates its fields. The body size is bounded by the route's
 * body-limit middleware before this runs.
 */
export async function readMultipart<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  if (!isMultipart(c)) {
    throw new ApiError('UNSUPPORTED_CONTENT_TYPE', 'expected a multipart/form-data body');
  }
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch (cause) {
    if (cause instanceof HTTPException) throw cause;
    throw new ApiError('INVALID_MULTIPART', 'the multipart body could not be parsed', { cause });
  }
  return schema.parse(body);
}

/** Parses a JSON body (INVALID_JSON when it is not JSON) and validates it. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  if (!isJson(c))
    throw new ApiError('UNSUPPORTED_CONTENT_TYPE', 'expected an application/json body');
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch (cause) {
    if (cause instanceof HTTPException) throw cause;
    throw new ApiError('INVALID_JSON', 'the request body is not valid JSON', { cause });
  }
  return schema.parse(body);
}

/** An uploaded file's bytes and what its content says it is. */
export interface CheckedUpload {
  bytes: Uint8Array;
  sniffed: Sniffed;
}

/**
 * Reads an uploaded file and checks by its content (not its name or declared type) that it
 * is one of the accepted kinds; UNSUPPORTED_MEDIA_TYPE otherwise.
 */
export async function checkUpload(
  file: File,
  field: string,
  accept: readonly SniffedKind[],
  describe: string,
): Promise<CheckedUpload> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sniffed = sniffMedia(bytes.subarray(0, SNIFF_BYTES));
  if (!sniffed || !accept.includes(sniffed.kind)) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${field}: the file's content is not ${describe}${sniffed ? ` (it looks like ${sniffed.format})` : ''}`,
      { details: { field, detected: sniffed?.format ?? null, declared: file.type || null } },
    );
  }
  return { bytes, sniffed };
}
