import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Optional API-key authentication: with keys configured, a request must carry one as
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are compared by constant-time
 * digest comparison. With no keys configured every request passes.
 */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler {
  const digests = keys.filter((k) => k.length > 0).map(digest);
  return async (c, next) => {
    if (digests.length === 0) return next();
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const presented = bearer ?? c.req.header('x-api-key');
    if (presented !== undefined) {
      const d = digest(presented.trim());
      if (digests.some((k) => timingSafeEqual(k, d))) return next();
    }
    throw new ApiError(
      'UNAUTHORIZED',
      presented === undefined
        ? 'an API key is required (Authorization: Bearer <key> or X-API-Key)'
        : 'the API key is not valid',
    );
  };
}
