import type { SessionCapacity } from './capacity.ts';
import { LiveError } from './errors.ts';
import type { ViewerCost } from './viewer-cost.ts';

/** Seconds a client refused for lack of capacity is told to wait (HTTP `Retry-After`). */
export const LIVE_RETRY_AFTER_S = 30;

/** What {@link Admission} plans with. */
export interface AdmissionOptions {
  /** Ceiling on sessions (configured, or the measured `capacity.sessions`). */
  maxSessions: number;
  /** The measured cost of a session ({@link probeSessionCapacity}); without it only `maxSessions` bounds sessions. */
  capacity?: SessionCapacity;
  /** The measured cost of a fan-out viewer ({@link probeViewerCost}); without it viewers are not bounded. */
  viewerCost?: ViewerCost;
  /** Frame rate sessions hold. Default 25. */
  fps?: number;
}

/** Where the host stands: what runs, and what it may still admit. */
export interface Headroom {
  sessions: number;
  viewers: number;
  /** More sessions it admits now. */
  sessionsHeadroom: number;
  /** More viewers it admits now; null when viewers are not bounded (no viewer cost measured). */
  viewersHeadroom: number | null;
  /** CPU the running sessions and viewers are planned to use, ms per second (null without measurements). */
  plannedCpuMsPerS: number | null;
  /** CPU the host plans with: cores × 1000 × utilisation, ms per second (null without measurements). */
  budgetCpuMsPerS: number | null;
}

/**
 * Admission by measured cost. The host's budget is `cores × 1000 ms × utilisation` of CPU
 * per second; a session costs its measured CPU per frame × 25, a fan-out viewer its measured
 * forwarding CPU per viewer-frame × 25. A session is admitted while the sessions and viewers
 * already running leave room for it (and under `maxSessions`), a viewer likewise; the next
 * gets 503 (`LIVE_SESSION_LIMIT`, `LIVE_VIEWER_LIMIT`) with `Retry-After`.
 *
 * @example
 * const admission = new Admission({ maxSessions: 2, capacity, viewerCost });
 * admission.checkViewer(sessions, viewers); // throws LIVE_VIEWER_LIMIT when full
 */
export class Admission {
  readonly maxSessions: number;
  readonly #sessionMsPerS: number | null;
  readonly #viewerMsPerS: number | null;
  readonly #budget: number | null;

  constructor(options: AdmissionOptions) {
    const fps = options.fps ?? 25;
    this.maxSessions = options.maxSessions;
    this.#sessionMsPerS = options.capacity ? options.capacity.cpuMsPerFrame * fps : null;
    this.#viewerMsPerS = options.viewerCost ? options.viewerCost.cpuMsPerViewerFrame * fps : null;
    const plan = options.capacity ?? options.viewerCost;
    this.#budget = plan ? plan.cores * 1000 * plan.utilisation : null;
  }

  /** CPU one viewer is planned to cost, ms per second (null when not measured). */
  get viewerCpuMsPerS(): number | null {
    return this.#viewerMsPerS;
  }

  headroom(sessions: number, viewers: number): Headroom {
    const planned = this.#planned(sessions, viewers);
    const left = this.#budget === null || planned === null ? null : this.#budget - planned;
    // The first session is always admitted (as the probe's capacity is at least 1).
    const bySessionCost =
      left === null || this.#sessionMsPerS === null || sessions === 0
        ? Number.POSITIVE_INFINITY
        : Math.floor(left / this.#sessionMsPerS);
    const viewersHeadroom =
      left === null || this.#viewerMsPerS === null
        ? null
        : Math.max(0, Math.floor(left / this.#viewerMsPerS));
    return {
      sessions,
      viewers,
      sessionsHeadroom: Math.max(0, Math.min(this.maxSessions - sessions, bySessionCost)),
      viewersHeadroom,
      plannedCpuMsPerS: planned,
      budgetCpuMsPerS: this.#budget,
    };
  }

  /** Throws `LIVE_SESSION_LIMIT` when one more session does not fit. */
  checkSession(sessions: number, viewers: number): void {
    const h = this.headroom(sessions, viewers);
    if (h.sessionsHeadroom > 0) return;
    const message =
      sessions >= this.maxSessions
        ? `this server runs at most ${this.maxSessions} live sessions at once; try again later`
        : `this server has no CPU left for another live session (${sessions} sessions and ${viewers} viewers plan ${Math.round(h.plannedCpuMsPerS ?? 0)} of ${Math.round(h.budgetCpuMsPerS ?? 0)} ms/s); try again later`;
    throw new LiveError('LIVE_SESSION_LIMIT', message, {
      details: { maxSessions: this.maxSessions, retryAfterS: LIVE_RETRY_AFTER_S },
    });
  }

  /** Throws `LIVE_VIEWER_LIMIT` when one more viewer does not fit. */
  checkViewer(sessions: number, viewers: number): void {
    const h = this.headroom(sessions, viewers);
    if (h.viewersHeadroom === null || h.viewersHeadroom > 0) return;
    throw new LiveError(
      'LIVE_VIEWER_LIMIT',
      `this server has no CPU left for another viewer (${sessions} sessions and ${viewers} viewers plan ${Math.round(h.plannedCpuMsPerS ?? 0)} of ${Math.round(h.budgetCpuMsPerS ?? 0)} ms/s); try again later`,
      { details: { viewers, retryAfterS: LIVE_RETRY_AFTER_S } },
    );
  }

  #planned(sessions: number, viewers: number): number | null {
    if (this.#budget === null) return null;
    return sessions * (this.#sessionMsPerS ?? 0) + viewers * (this.#viewerMsPerS ?? 0);
  }
}
