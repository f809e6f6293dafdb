import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes of the live-session domain (HTTP routes and the ws protocol share them). */
export type LiveErrorCode =
  /** The server already runs its maximum number of sessions (HTTP 503). */
  | 'LIVE_SESSION_LIMIT'
  /** No session with that id (ended, timed out, or never created). */
  | 'LIVE_SESSION_NOT_FOUND'
  /** The ws token is missing, wrong, expired or already used (HTTP 401). */
  | 'LIVE_TOKEN_INVALID'
  /** The body of `POST /v1/sessions` does not match its schema. */
  | 'LIVE_BAD_REQUEST'
  /** The avatar id names no avatar. */
  | 'LIVE_AVATAR_NOT_FOUND'
  /** A ws message is not JSON, not a known message, or fails its schema. */
  | 'LIVE_BAD_MESSAGE'
  /** A ws message is larger than the protocol allows. */
  | 'LIVE_MESSAGE_TOO_LARGE'
  /** A message arrived in a state that cannot take it (e.g. PCM before `audio.start`). */
  | 'LIVE_BAD_STATE'
  /** Queued speech (pushed PCM or synthesised text) would exceed the session's limit. */
  | 'LIVE_SPEECH_BACKLOG'
  /** Text input, but no TTS provider is configured on this server. */
  | 'LIVE_TTS_UNAVAILABLE'
  /** The session ended for a reason given in the message (timeout, peer lost, closed). */
  | 'LIVE_SESSION_ENDED'
  /** Fan-out needs a mediasoup worker, and none can start here. */
  | 'LIVE_FANOUT_UNAVAILABLE'
  /** A stage of the realtime pipeline failed. */
  | 'LIVE_PIPELINE_FAILED'
  /** The host has no CPU headroom left for one more fan-out viewer (HTTP 503, Retry-After). */
  | 'LIVE_VIEWER_LIMIT'
  /** No viewer transport with that id: never made, closed, or lost with its mediasoup worker (join again). */
  | 'LIVE_VIEWER_NOT_FOUND'
  /** The session's fan-out is moving to another mediasoup worker (its worker died); join again shortly (HTTP 503, Retry-After). */
  | 'LIVE_FANOUT_MOVING';

const kinds: Record<LiveErrorCode, FacecastError['kind']> = {
  LIVE_SESSION_LIMIT: 'limit',
  LIVE_SESSION_NOT_FOUND: 'not-found',
  LIVE_TOKEN_INVALID: 'input',
  LIVE_BAD_REQUEST: 'input',
  LIVE_AVATAR_NOT_FOUND: 'not-found',
  LIVE_BAD_MESSAGE: 'input',
  LIVE_MESSAGE_TOO_LARGE: 'limit',
  LIVE_BAD_STATE: 'input',
  LIVE_SPEECH_BACKLOG: 'limit',
  LIVE_TTS_UNAVAILABLE: 'input',
  LIVE_SESSION_ENDED: 'internal',
  LIVE_FANOUT_UNAVAILABLE: 'internal',
  LIVE_PIPELINE_FAILED: 'internal',
  LIVE_VIEWER_LIMIT: 'limit',
  LIVE_VIEWER_NOT_FOUND: 'not-found',
  LIVE_FANOUT_MOVING: 'internal',
};

/** HTTP statuses more specific than the kind's (for the app's `onError`). */
export const LIVE_HTTP_STATUS: Readonly<Partial<Record<LiveErrorCode, number>>> = Object.freeze({
  LIVE_SESSION_LIMIT: 503,
  LIVE_TOKEN_INVALID: 401,
  LIVE_FANOUT_UNAVAILABLE: 501,
  LIVE_VIEWER_LIMIT: 503,
  LIVE_FANOUT_MOVING: 503,
});

export class LiveError extends FacecastError {
  override readonly name = 'LiveError';
  declare readonly code: LiveErrorCode;
  constructor(code: LiveErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
