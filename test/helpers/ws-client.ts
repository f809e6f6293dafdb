import WebSocket from 'ws';
import type { ServerMessage } from '../../src/live/index.ts';
import { waitFor } from './live.ts';

/** A signalling client for tests: sends messages, records every server message. */
export class TestSignal {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  closeCode: number | undefined;
  closeReason = '';

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.messages.push(JSON.parse(String(data)) as ServerMessage);
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = String(reason);
    });
  }

  static async connect(url: string): Promise<TestSignal> {
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    const client = new TestSignal(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c;
        });
        res.on('end', () =>
          reject(
            Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body }),
          ),
        );
      });
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** Waits for the next message of a type (after `from`, an index into `messages`). */
  async next<T extends ServerMessage['type']>(
    type: T,
    options: {
      from?: number;
      timeoutMs?: number;
      where?: (m: Extract<ServerMessage, { type: T }>) => boolean;
    } = {},
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const { from = 0, timeoutMs = 15_000, where = () => true } = options;
    let found: Extract<ServerMessage, { type: T }> | undefined;
    await waitFor(
      () => {
        found = this.messages
          .slice(from)
          .find(
            (m): m is Extract<ServerMessage, { type: T }> => m.type === type && where(m as never),
          );
        return found !== undefined;
      },
      { timeoutMs, what: `a "${type}" message` },
    );
    return found as Extract<ServerMessage, { type: T }>;
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  close(): void {
    this.ws.close();
  }
}

/** `POST /v1/sessions` against a test server. */
export async function createSession(
  baseUrl: string,
  body: unknown,
): Promise<{
  status: number;
  json: Record<string, unknown> & { sessionId: string; token: string; wsUrl: string };
}> {
  const response = await fetch(`${baseUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as never };
}
