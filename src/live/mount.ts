import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import type { SessionManager } from './manager.ts';
import { type GaugeRegistry, registerLiveMetrics } from './metrics.ts';
import { type OpenApiRegistryLike, registerLiveOpenApi } from './openapi.ts';
import { liveRoutes } from './routes.ts';
import { createLiveSocketServer, type LiveSocketOptions, type LiveSocketServer } from './ws.ts';

/** What {@link mountLive} adds to an app. */
export interface MountLiveOptions {
  manager: SessionManager;
  /** The server's metrics registry; the live gauges are added to it. Default none. */
  metrics?: GaugeRegistry;
  /** Serve the browser client at `/`. Default true. */
  client?: boolean;
}

/**
 * Mounts live sessions into an app: the HTTP routes (`/v1/sessions…`, behind the app's own
 * auth middleware), the browser client, and the metrics. The ws endpoint is not a Hono
 * route; attach it to the Node server with {@link attachLiveSockets}.
 *
 * @example
 * mountLive(app, { manager, metrics: services.metrics.registry });
 * const running = await listen(app);
 * const sockets = attachLiveSockets(running.server, manager);
 */
export function mountLive(
  app: { route(path: string, app: Hono): unknown; openAPIRegistry?: OpenApiRegistryLike },
  options: MountLiveOptions,
): void {
  app.route('/', liveRoutes({ manager: options.manager, client: options.client ?? true }));
  if (app.openAPIRegistry) registerLiveOpenApi(app.openAPIRegistry);
  if (options.metrics) registerLiveMetrics(options.metrics, options.manager);
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** A Node HTTP server as far as WebSocket upgrades go. */
export interface UpgradeSource {
  on(event: 'upgrade', listener: UpgradeListener): unknown;
  off(event: 'upgrade', listener: UpgradeListener): unknown;
  listenerCount(event: 'upgrade'): number;
}

/**
 * Routes `GET /v1/sessions/:id/ws` upgrades of a Node HTTP server to the live sessions;
 * other upgrades are left to other listeners (or refused when there are none).
 */
export function attachLiveSockets(
  server: UpgradeSource,
  manager: SessionManager,
  options: LiveSocketOptions = {},
): LiveSocketServer {
  const sockets = createLiveSocketServer(manager, options);
  const onUpgrade: UpgradeListener = (request, socket, head) => {
    if (sockets.handleUpgrade(request, socket, head)) return;
    if (server.listenerCount('upgrade') === 1) socket.destroy();
  };
  server.on('upgrade', onUpgrade);
  return {
    handleUpgrade: sockets.handleUpgrade,
    get connections() {
      return sockets.connections;
    },
    async close() {
      server.off('upgrade', onUpgrade);
      await sockets.close();
    },
  };
}
