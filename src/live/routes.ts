import { Hono } from 'hono';
import type { z } from 'zod';
import { clientAssets } from './client-bundle.ts';
import { LiveError } from './errors.ts';
import type { SessionManager } from './manager.ts';
import { ViewerConnectBody, ViewerJoinBody } from './viewer-schemas.ts';

/** Options of {@link liveRoutes}. */
export interface LiveRoutesOptions {
  manager: SessionManager;
  /** Serve the browser client at `/` and `/client/*`. Default true. */
  client?: boolean;
}

/**
 * The HTTP side of live sessions (mount with `app.route('/', liveRoutes({ manager }))`):
 *
 * - `POST /v1/sessions` `{ avatarId, options? }` → 201 `{ sessionId, token, expiresAt, wsUrl, video }`
 * - `GET /v1/sessions` → `{ sessions: [stats…], maxSessions }`
 * - `GET /v1/sessions/:id` → the session's stats
 * - `DELETE /v1/sessions/:id` → 204
 * - `GET /`, `/client/app.js`, `/client/style.css`: the browser client
 *
 * Errors are thrown as `LiveError`s for the app's `onError` to map (503 at the session cap).
 */
export function liveRoutes(options: LiveRoutesOptions): Hono {
  const { manager } = options;
  const app = new Hono();

  app.post('/v1/sessions', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new LiveError('LIVE_BAD_REQUEST', 'the request body is not valid JSON');
    }
    const { session, token, expiresAt, viewToken } = await manager.create(body, {
      signal: c.req.raw.signal,
    });
    const stats = session.stats();
    return c.json(
      {
        sessionId: session.id,
        avatarId: session.avatarId,
        token,
        expiresAt: expiresAt.toISOString(),
        wsUrl: `/v1/sessions/${session.id}/ws?token=${token}`,
        video: session.video,
        state: stats.state,
        ...(viewToken ? { viewToken, viewUrl: `/?view=${session.id}&token=${viewToken}` } : {}),
      },
      201,
    );
  });

  // Viewer mode (fan-out through mediasoup): see fanout.ts.
  const viewer = (id: string, token: string | undefined) => {
    const fanout = manager.fanout;
    if (!fanout) {
      throw new LiveError(
        'LIVE_FANOUT_UNAVAILABLE',
        'this server runs without fan-out (no mediasoup worker); one viewer per session',
      );
    }
    manager.authorizeViewer(id, token);
    return fanout;
  };
  const parseBody = async <T>(c: { req: { json(): Promise<unknown> } }, schema: z.ZodType<T>) => {
    const result = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!result.success) throw new LiveError('LIVE_BAD_REQUEST', 'invalid viewer request body');
    return result.data;
  };
  app.get('/v1/sessions/:id/viewers/capabilities', (c) => {
    const fanout = viewer(c.req.param('id'), c.req.query('token'));
    return c.json({ routerRtpCapabilities: fanout.capabilities(c.req.param('id')) });
  });
  app.post('/v1/sessions/:id/viewers', async (c) => {
    const fanout = viewer(c.req.param('id'), c.req.query('token'));
    const body = await parseBody(c, ViewerJoinBody);
    const admit = (viewers: number) => manager.admitViewer(viewers);
    return c.json(await fanout.addViewer(c.req.param('id'), body.rtpCapabilities, admit), 201);
  });
  // A viewer's client polls this: 404 LIVE_VIEWER_NOT_FOUND once its transport is gone (its
  // worker died and the session moved: join again), LIVE_SESSION_NOT_FOUND once it ended.
  app.get('/v1/sessions/:id/viewers/:transportId', (c) => {
    const fanout = viewer(c.req.param('id'), c.req.query('token'));
    return c.json(fanout.viewerState(c.req.param('id'), c.req.param('transportId')));
  });
  app.delete('/v1/sessions/:id/viewers/:transportId', (c) => {
    const fanout = viewer(c.req.param('id'), c.req.query('token'));
    fanout.removeViewer(c.req.param('id'), c.req.param('transportId'));
    return c.body(null, 204);
  });
  app.post('/v1/sessions/:id/viewers/:transportId/connect', async (c) => {
    const fanout = viewer(c.req.param('id'), c.req.query('token'));
    const body = await parseBody(c, ViewerConnectBody);
    await fanout.connectViewer(c.req.param('id'), c.req.param('transportId'), body.dtlsParameters);
    return c.body(null, 204);
  });
  app.post('/v1/sessions/:id/viewers/:transportId/resume', async (c) => {
    const fanout = viewer(c.req.param('id'), c.req.query('token'));
    await fanout.resumeViewer(c.req.param('id'), c.req.param('transportId'));
    return c.body(null, 204);
  });

  app.get('/v1/sessions', (c) =>
    c.json({ sessions: manager.list(), maxSessions: manager.maxSessions }),
  );

  app.get('/v1/sessions/:id', (c) => {
    const session = manager.get(c.req.param('id'));
    if (!session)
      throw new LiveError('LIVE_SESSION_NOT_FOUND', `no live session ${c.req.param('id')}`);
    return c.json(session.stats());
  });

  app.delete('/v1/sessions/:id', async (c) => {
    const ended = await manager.end(c.req.param('id'), 'deleted');
    if (!ended)
      throw new LiveError('LIVE_SESSION_NOT_FOUND', `no live session ${c.req.param('id')}`);
    return c.body(null, 204);
  });

  if (options.client !== false) {
    const cache = 'no-cache';
    app.get('/', async (c) => {
      const a = await clientAssets();
      return c.html(a.html, 200, { 'cache-control': cache, etag: `"${a.etag}"` });
    });
    app.get('/client/app.js', async (c) => {
      const a = await clientAssets();
      return c.body(a.js, 200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': cache,
        etag: `"${a.etag}"`,
      });
    });
    app.get('/client/style.css', async (c) => {
      const a = await clientAssets();
      return c.body(a.css, 200, {
        'content-type': 'text/css; charset=utf-8',
        'cache-control': cache,
        etag: `"${a.etag}"`,
      });
    });
  }
  return app;
}
