import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { isFacecastError } from '../../src/core/index.ts';
import {
  createLiveSocketServer,
  LIVE_HTTP_STATUS,
  type LiveSocketOptions,
  liveRoutes,
  SessionManager,
  type SessionManagerOptions,
} from '../../src/live/index.ts';

/**
 * A minimal Hono app with the live routes and the ws upgrade, on an ephemeral loopback port
 * (the product's server mounts the same two pieces). Its onError maps errors by kind the way
 * the product's does.
 */
export async function startLiveServer(
  options: SessionManagerOptions & {
    socket?: LiveSocketOptions;
    client?: boolean;
  },
): Promise<{
  url: string;
  manager: SessionManager;
  sockets: ReturnType<typeof createLiveSocketServer>;
  server: Server;
  close: () => Promise<void>;
}> {
  const manager = new SessionManager(options);
  const app = new Hono();
  app.route('/', liveRoutes({ manager, client: options.client ?? false }));
  app.onError((error, c) => {
    if (!isFacecastError(error))
      return c.json({ error: { code: 'INTERNAL', message: 'internal' } }, 500);
    const byKind = {
      input: 400,
      'not-found': 404,
      limit: 413,
      aborted: 499,
      internal: 500,
    } as const;
    const status = (LIVE_HTTP_STATUS[error.code as keyof typeof LIVE_HTTP_STATUS] ??
      byKind[error.kind]) as 400;
    // As the product's onError (src/server/app.ts): a refusal for capacity says when to retry.
    const retryAfterS = error.details?.retryAfterS;
    if (typeof retryAfterS === 'number') {
      c.header('Retry-After', String(retryAfterS));
    }
    return c.json({ error: error.toJSON() }, status);
  });
  const sockets = createLiveSocketServer(manager, options.socket);
  const server = createServer(getRequestListener(app.fetch));
  server.on('upgrade', (req, socket, head) => {
    if (!sockets.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    manager,
    sockets,
    server,
    async close() {
      await manager.close();
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
