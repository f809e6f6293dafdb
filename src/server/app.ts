import { OpenAPIHono } from '@hono/zod-openapi';
import { routePath } from 'hono/route';
import type { z } from 'zod';
import { apiKeyAuth } from './auth.ts';
import { APP_DEFAULTS, type AppEnv, type AppOptions, type AppServices } from './context.ts';
import { ApiError } from './errors.ts';
import { jsonBodyLimits, uploadGate } from './limits.ts';
import { toHttpError } from './on-error.ts';
import { originPolicy } from './origin.ts';
import { mountAvatarRoutes } from './routes/avatars.ts';
import { mountDubRoutes } from './routes/dubs.ts';
import { mountJobRoutes } from './routes/jobs.ts';
import { mountSystemRoutes } from './routes/system.ts';
import { mountVideoRoutes } from './routes/videos.ts';

/** Paths answered without an API key (besides the static client outside `/v1/`). */
const PUBLIC_PATHS = new Set(['/healthz', '/openapi.json', '/docs']);
/** Paths outside `/v1/` that need the key when keys are on. */
const PRIVATE_PATHS = new Set(['/metrics']);

/**
 * Builds the HTTP app from its services. The app holds no resources of its own: the caller
 * creates the services, mounts extra routes (`app.route('/v1/sessions', sessions)`), serves
 * it ({@link startServer} or any Hono adapter) and closes the services.
 *
 * @example
 * const app = createApp({ jobs, metrics }, { apiKeys: ['secret'] });
 * const res = await app.request('/healthz');
 */
export function createApp(services: AppServices, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const resolved = { ...APP_DEFAULTS, ...options };
  const { version, logError } = resolved;
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });

  app.use(async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      services.metrics.observeRequest(
        c.req.method,
        routeLabel(routePath(c, -1)),
        c.res.status,
        (performance.now() - started) / 1000,
      );
    }
  });
  app.use(
    originPolicy({
      allowedOrigins: resolved.allowedOrigins,
      ...(resolved.allowedHosts ? { allowedHosts: resolved.allowedHosts } : {}),
    }),
  );
  const auth = apiKeyAuth(resolved.apiKeys);
  app.use(async (c, next) => {
    const { path } = c.req;
    const guarded = path.startsWith('/v1/') || PRIVATE_PATHS.has(path);
    if (PUBLIC_PATHS.has(path) || !guarded) return next();
    return auth(c, next);
  });
  app.use(uploadGate(resolved.maxUploads));
  app.use(jsonBodyLimits(resolved.maxJsonBytes));

  mountSystemRoutes(app, services, version);
  mountAvatarRoutes(app, services, resolved);
  mountVideoRoutes(app, services, resolved);
  mountDubRoutes(app, services, resolved);
  mountJobRoutes(app, services);

  app.notFound(() => {
    throw new ApiError('ROUTE_NOT_FOUND', 'no such route');
  });
  app.onError((error, c) => {
    const { status, body, internal } = toHttpError(error, [services.dataDir]);
    services.metrics.observeError(body.error.code, 'http');
    if (internal) logError(error, { method: c.req.method, path: c.req.path });
    if (body.error.code === 'QUEUE_FULL') c.header('Retry-After', '30');
    // Capacity refusals (the session cap, every upload slot taken) say when to come back.
    const retryAfterS = body.error.details?.retryAfterS;
    if (typeof retryAfterS === 'number') c.header('Retry-After', String(retryAfterS));
    // A body refused before it was read to the end (too large, wrong type, a bad file part)
    // must not be taken for the next request on a kept-alive connection: close it.
    if (c.req.raw.body) c.header('Connection', 'close');
    if (body.error.code === 'RANGE_NOT_SATISFIABLE') {
      c.header('Content-Range', `bytes */${body.error.details?.sizeBytes ?? '*'}`);
    }
    return c.json(body, status);
  });
  return app;
}

function validationError(error: z.ZodError): ApiError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  return new ApiError(
    'VALIDATION_FAILED',
    first ? `${first.path || 'request'}: ${first.message}` : 'invalid request',
    { details: { issues } },
  );
}

/** The matched route pattern as a metrics label; `unmatched` when only middleware matched. */
function routeLabel(pattern: string): string {
  return pattern === '*' || pattern === '/*' || pattern === '' ? 'unmatched' : pattern;
}
