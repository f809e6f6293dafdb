import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { isFacecastError } from '../core/index.ts';
import { LIVE_HTTP_STATUS, LiveError } from './errors.ts';
import type { SessionManager } from './manager.ts';
import { MAX_BINARY_MESSAGE_BYTES, MAX_WS_PAYLOAD_BYTES, parseClientMessage } from './protocol.ts';
import type { LiveSession } from './session.ts';

const WS_PATH = /^\/v1\/sessions\/([A-Za-z0-9-]{1,64})\/ws$/;

/** Options of {@link createLiveSocketServer}. */
export interface LiveSocketOptions {
  /** Invalid messages tolerated per connection before it is closed (1008). Default 20. */
  maxBadMessages?: number;
  /** Heartbeat ping interval; a socket that misses one pong is terminated, ms. Default 15000. */
  heartbeatMs?: number;
  /** Close a client whose unsent data exceeds this (it does not read), bytes. Default 4 MiB. */
  maxBufferedBytes?: number;
}

/** The ws side of live sessions, for a Node HTTP server's `upgrade` event. */
export interface LiveSocketServer {
  /** Handles the upgrade if the path is a session's ws; returns false otherwise. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Open ws connections. */
  readonly connections: number;
  /** Closes every connection and the heartbeat timer. Idempotent. */
  close(): Promise<void>;
}

/**
 * Signalling over `ws`: `GET /v1/sessions/:id/ws?token=…` upgrades only with the session's
 * single-use token (else an HTTP 401/404 with a JSON body, and no socket). Every text
 * message is size-checked and zod-validated; a bad one is answered with an `error`
 * message and the session goes on, until `maxBadMessages`. Frames over 1 MiB are refused
 * by the ws layer itself (close 1009).
 *
 * @example
 * const live = createLiveSocketServer(manager);
 * server.on('upgrade', (req, socket, head) => live.handleUpgrade(req, socket, head) || socket.destroy());
 */
export function createLiveSocketServer(
  manager: SessionManager,
  options: LiveSocketOptions = {},
): LiveSocketServer {
  const maxBad = options.maxBadMessages ?? 20;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD_BYTES });
  const alive = new WeakMap<WebSocket, boolean>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  let closed = false;

  const connect = (ws: WebSocket, session: LiveSession) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    let bad = 0;
    // Messages, text and binary, are handled one after another in arrival order (an ICE
    // candidate never overtakes its offer, PCM never overtakes its audio.start).
    let inbox: Promise<void> = Promise.resolve();
    const send = (text: string) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > maxBuffered) {
        ws.close(1008, 'client does not read');
        return;
      }
      ws.send(text);
    };
    const reject = (code: string, message: string) => {
      send(JSON.stringify({ type: 'error', code, message, fatal: false }));
      if (++bad > maxBad) {
        send(
          JSON.stringify({
            type: 'error',
            code: 'LIVE_BAD_MESSAGE',
            message: `more than ${maxBad} invalid messages; closing`,
            fatal: true,
          }),
        );
        ws.close(1008, 'too many invalid messages');
      }
    };
    session.on('message', (m) => send(JSON.stringify(m)));
    session.once('close', (reason) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        ws.close(1000, reason.slice(0, 100));
      }
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = toBuffer(data);
      if (isBinary) {
        if (bytes.length > MAX_BINARY_MESSAGE_BYTES) {
          reject(
            'LIVE_MESSAGE_TOO_LARGE',
            `binary message of ${bytes.length} bytes exceeds ${MAX_BINARY_MESSAGE_BYTES}`,
          );
          return;
        }
        inbox = inbox
          .then(() => session.handleBinary(bytes))
          .catch((error) => console.error('live: ws binary:', error));
        return;
      }
      const parsed = parseClientMessage(bytes.toString('utf8'));
      if (!parsed.ok) {
        reject(parsed.code, parsed.message);
        return;
      }
      const message = parsed.message;
      inbox = inbox
        .then(() => session.handle(message))
        .catch((error) => console.error('live: ws message:', error));
    });
    ws.on('close', () => void session.close('client-gone'));
    ws.on('error', () => void session.close('client-gone'));
    session.attach();
  };

  return {
    handleUpgrade(request, socket, head) {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = WS_PATH.exec(url.pathname);
      if (!match) return false;
      if (closed) {
        refuse(socket, 503, 'LIVE_SESSION_LIMIT', 'the server is shutting down');
        return true;
      }
      let session: LiveSession;
      try {
        session = manager.redeem(match[1] as string, url.searchParams.get('token'));
      } catch (error) {
        const e = isFacecastError(error)
          ? error
          : new LiveError('LIVE_TOKEN_INVALID', 'could not authorise the session');
        const status =
          LIVE_HTTP_STATUS[e.code as keyof typeof LIVE_HTTP_STATUS] ??
          (e.kind === 'not-found' ? 404 : 400);
        refuse(socket, status, e.code, e.message);
        return true;
      }
      wss.handleUpgrade(request, socket, head, (ws) => connect(ws, session));
      return true;
    },
    get connections() {
      return wss.clients.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
