import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import { ApiError } from './errors.ts';

/** True when the request declares a multipart body. */
export function isMultipart(c: Context): boolean {
  return /^multipart\/form-data\s*;/i.test(c.req.header('content-type') ?? '');
}

/** True when the request declares a JSON body. */
export function isJson(c: Context): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(c.req.header('content-type') ?? '');
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
