import type { AddressInfo } from 'node:net';
import { type ServerType, serve, type WebSocketServerLike } from '@hono/node-server';
import type { Hono } from 'hono';

/** Anything with a Hono-style `fetch` (an app, or a router built on one). */
export type Fetchable = Pick<Hono, 'fetch'>;

/** Where and how to listen. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` (use `0.0.0.0` to serve the network). */
  host?: string;
  /**
   * A `ws` server (created with `noServer: true`) for routes that use `upgradeWebSocket`
   * from `@hono/node-server` — how live sessions mount their WebSocket endpoint.
   */
  websocket?: WebSocketServerLike;
}

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  /** The Node server, for handlers that need it (e.g. custom upgrade routing). */
  server: ServerType;
  /** Stops accepting, closes open connections (SSE streams included). Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves a Hono app over HTTP with `@hono/node-server`.
 *
 * @example
 * const running = await listen(app, { port: 0 });
 * console.log(running.url);
 * await running.close();
 */
export function listen(app: Fetchable, options: ListenOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        port: options.port ?? 8080,
        hostname: host,
        ...(options.websocket ? { websocket: { server: options.websocket } } : {}),
      },
      (info: AddressInfo) => {
        server.off('error', reject);
        let closing: Promise<void> | undefined;
        const urlHost = host.includes(':') ? `[${host}]` : host;
        resolve({
          url: `http://${urlHost}:${info.port}`,
          port: info.port,
          server,
          close: () => {
            closing ??= new Promise<void>((done) => {
              server.close(() => done());
              if ('closeAllConnections' in server) server.closeAllConnections();
            });
            return closing;
          },
        });
      },
    );
    server.once('error', reject);
  });
}
