import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Admission, type Headroom } from './admission.ts';
import type { SessionCapacity } from './capacity.ts';
import { LiveError } from './errors.ts';
import type { MediasoupFanout } from './fanout.ts';
import {
  type CreateSessionRequest,
  createSessionSchema,
  LIVE_SERVER_DEFAULTS,
  type LiveServerOptions,
} from './options.ts';
import type { StageFactory } from './ports.ts';
import type { SessionStatsJson } from './protocol.ts';
import { LiveSession } from './session.ts';
import type { ViewerCost } from './viewer-cost.ts';

/** Options of {@link SessionManager}: the stages to run plus server-wide limits. */
export interface SessionManagerOptions extends LiveServerOptions {
  stages: StageFactory;
  /** Fan-out through mediasoup (only when a worker started). Default none. */
  fanout?: MediasoupFanout;
  /**
   * This host's measured capacity ({@link probeSessionCapacity}): sessions are admitted up
   * to `capacity.sessions` (and `maxSessions` when that is given too). Default none: the
   * cap is `maxSessions`.
   */
  capacity?: SessionCapacity;
  /**
   * The measured cost of a fan-out viewer ({@link probeViewerCost}): viewers (and sessions)
   * are admitted against the CPU the sessions and viewers already running are planned to use.
   * Default none: viewers are not bounded.
   */
  viewerCost?: ViewerCost;
}

/** What `POST /v1/sessions` returns. */
export interface CreatedSession {
  session: LiveSession;
  /** Single-use ws token, valid until `expiresAt`. */
  token: string;
  expiresAt: Date;
  /** Token for viewers (fan-out), valid for the session's life; absent without fan-out. */
  viewToken?: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Creates, finds and ends live sessions; enforces the concurrent-session cap (the next one
 * gets `LIVE_SESSION_LIMIT` instead of degrading everyone) and the single-use ws tokens.
 *
 * @example
 * const manager = new SessionManager({ stages, maxSessions: 4 });
 * const { session, token } = await manager.create({ avatarId: 'ada' });
 */
export class SessionManager {
  readonly maxSessions: number;
  readonly #options: SessionManagerOptions;
  readonly #admission: Admission;
  readonly #sessions = new Map<string, LiveSession>();
  readonly #tokens = new Map<string, { digest: Buffer; expiresAt: number }>();
  readonly #viewTokens = new Map<string, Buffer>();
  #creating = 0;
  #closed = false;
  #created = 0;
  #ended = new Map<string, number>();

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.maxSessions = options.capacity
      ? Math.min(options.capacity.sessions, options.maxSessions ?? Number.POSITIVE_INFINITY)
      : (options.maxSessions ?? LIVE_SERVER_DEFAULTS.maxSessions);
    this.#admission = new Admission({
      maxSessions: this.maxSessions,
      ...(options.capacity ? { capacity: options.capacity } : {}),
      ...(options.viewerCost ? { viewerCost: options.viewerCost } : {}),
    });
  }

  /** Sessions alive now. */
  get size(): number {
    return this.#sessions.size;
  }

  get ttsAvailable(): boolean {
    return this.#options.stages.speech !== undefined;
  }

  /** Validates the request, reserves a slot and opens the session. */
  async create(
    request: CreateSessionRequest | unknown,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<CreatedSession> {
    if (this.#closed) throw new LiveError('LIVE_SESSION_LIMIT', 'the server is shutting down');
    const parsed = createSessionSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LiveError(
        'LIVE_BAD_REQUEST',
        `invalid session request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
        {
          details: {
            issues: parsed.error.issues.map((i) => ({
              path: i.path.join('.'),
              message: i.message,
            })),
          },
        },
      );
    }
    this.#admission.checkSession(
      this.#sessions.size + this.#creating,
      this.#options.fanout?.totalViewers ?? 0,
    );
    this.#creating++;
    try {
      const id = randomUUID();
      const session = await LiveSession.create(
        {
          id,
          avatarId: parsed.data.avatarId,
          options: parsed.data.options,
          stages: this.#options.stages,
          server: this.#options,
          ...(this.#options.fanout ? { fanout: this.#options.fanout } : {}),
        },
        signal ? { signal } : {},
      );
      const token = randomBytes(24).toString('base64url');
      const ttl = this.#options.tokenTtlMs ?? LIVE_SERVER_DEFAULTS.tokenTtlMs;
      const expiresAt = Date.now() + ttl;
      this.#sessions.set(id, session);
      this.#tokens.set(id, { digest: digest(token), expiresAt });
      this.#created++;
      const viewToken = this.#options.fanout ? randomBytes(24).toString('base64url') : undefined;
      if (viewToken) this.#viewTokens.set(id, digest(viewToken));
      session.once('close', (reason) => {
        this.#sessions.delete(id);
        this.#tokens.delete(id);
        this.#viewTokens.delete(id);
        this.#ended.set(reason, (this.#ended.get(reason) ?? 0) + 1);
      });
      return {
        session,
        token,
        expiresAt: new Date(expiresAt),
        ...(viewToken ? { viewToken } : {}),
      };
    } finally {
      this.#creating--;
    }
  }

  get(id: string): LiveSession | undefined {
    return this.#sessions.get(id);
  }

  /** Redeems a session's ws token (once). Throws `LIVE_SESSION_NOT_FOUND` or `LIVE_TOKEN_INVALID`. */
  redeem(id: string, token: string | null | undefined): LiveSession {
    const session = this.#sessions.get(id);
    if (!session) throw new LiveError('LIVE_SESSION_NOT_FOUND', `no live session ${id}`);
    const entry = this.#tokens.get(id);
    const valid =
      entry !== undefined &&
      typeof token === 'string' &&
      Date.now() <= entry.expiresAt &&
      timingSafeEqual(entry.digest, digest(token));
    if (!valid) {
      throw new LiveError(
        'LIVE_TOKEN_INVALID',
        entry ? 'the session token is wrong or expired' : 'the session token was already used',
      );
    }
    this.#tokens.delete(id);
    return session;
  }

  /** The measured session capacity admission uses, when there is one. */
  get capacity(): SessionCapacity | undefined {
    return this.#options.capacity;
  }

  /** The measured viewer cost admission uses, when there is one. */
  get viewerCost(): ViewerCost | undefined {
    return this.#options.viewerCost;
  }

  /** The fan-out, when it runs. */
  get fanout(): MediasoupFanout | undefined {
    return this.#options.fanout;
  }

  /** What runs and what may still be admitted (sessions, viewers; `/metrics`). */
  headroom(): Headroom {
    return this.#admission.headroom(this.#sessions.size, this.#options.fanout?.totalViewers ?? 0);
  }

  /**
   * Admission of one more fan-out viewer, given the viewers the fan-out holds: throws
   * `LIVE_VIEWER_LIMIT` (503) when the host's measured headroom is spent.
   */
  admitViewer(viewers: number): void {
    this.#admission.checkViewer(this.#sessions.size, viewers);
  }

  /** Checks a viewer token (multi-use while the session lives). */
  authorizeViewer(id: string, token: string | null | undefined): LiveSession {
    const session = this.#sessions.get(id);
    if (!session) throw new LiveError('LIVE_SESSION_NOT_FOUND', `no live session ${id}`);
    const expected = this.#viewTokens.get(id);
    if (!expected || typeof token !== 'string' || !timingSafeEqual(expected, digest(token))) {
      throw new LiveError('LIVE_TOKEN_INVALID', 'the viewer token is wrong');
    }
    return session;
  }

  list(): SessionStatsJson[] {
    return [...this.#sessions.values()].map((s) => s.stats());
  }

  /** Ends a session; false when there is none with that id. */
  async end(id: string, reason = 'ended'): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (!session) return false;
    await session.close(reason);
    return true;
  }

  /** Ends every session and refuses new ones (server shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions.values()].map((s) => s.close('server-shutdown')));
  }

  toJSON(): {
    sessions: number;
    maxSessions: number;
    created: number;
    ended: Record<string, number>;
  } {
    return {
      sessions: this.#sessions.size,
      maxSessions: this.maxSessions,
      created: this.#created,
      ended: Object.fromEntries(this.#ended),
    };
  }
}
