import { z } from 'zod';

/**
 * `POST /v1/sessions` body. Everything but `avatarId` is optional; defaults below.
 * Validated at the HTTP edge; the inferred type is what {@link SessionManager.create} takes.
 */
export const createSessionSchema = z
  .object({
    /** The avatar to animate (an id from `POST /v1/avatars` or a bundled avatar). */
    avatarId: z.string().min(1).max(128),
    options: z
      .object({
        /** Square output size in pixels. Default 512. */
        size: z.union([z.literal(256), z.literal(384), z.literal(512)]).default(512),
        /** VP8 target bitrate, kbit/s. Default 1200. */
        bitrateKbps: z.number().int().min(200).max(6000).default(1200),
        /** TTS voice for `text` messages: `engine:name` (GET /v1/voices), e.g. `flite:slt`. Default: the default engine's default. */
        voice: z.string().min(1).max(100).optional(),
        /** Whether the microphone's speech is voiced back by the avatar (a puppet). Default true. */
        echoMic: z.boolean().default(true),
        /**
         * What the microphone is. `puppet` (default): the avatar's lips follow it (and its voice,
         * with `echoMic`). `listen`: the user talking to the avatar — it does not move the lips;
         * while the user speaks and the avatar does not, the avatar listens (looks at the user,
         * nods, mouth closed).
         */
        mic: z.enum(['puppet', 'listen']).default('puppet'),
        /** Seed of the idle motion (blinks, sway). Default 1. */
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .default(1),
        /** End the session after this long without any input (mic speech, PCM, text), ms. Default 300000 (5 min). */
        idleTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
        /** End the session after this long in any case, ms. Default 3600000 (1 h); at most 8 h. */
        maxDurationMs: z
          .number()
          .int()
          .min(10_000)
          .max(8 * 3_600_000)
          .default(3_600_000),
      })
      .strict()
      .default({
        size: 512,
        bitrateKbps: 1200,
        echoMic: true,
        mic: 'puppet',
        seed: 1,
        idleTimeoutMs: 300_000,
        maxDurationMs: 3_600_000,
      }),
  })
  .strict();
export type CreateSessionRequest = z.input<typeof createSessionSchema>;
export type SessionOptions = z.infer<typeof createSessionSchema>['options'];

/** Server-wide limits and timings of live sessions. */
export interface LiveServerOptions {
  /** Most sessions at once; one more gets `LIVE_SESSION_LIMIT` (HTTP 503). Default 2: the shared 2-core CPU machine holds ~25 fps for two 512² sessions (docs/benchmarks.md, live-sessions); raise it with the cores. */
  maxSessions?: number;
  /** How long a session token stays valid before the ws connects, ms. Default 60000. */
  tokenTtlMs?: number;
  /** How long the ws may take from connecting to a connected peer, ms. Default 30000. */
  connectTimeoutMs?: number;
  /** A connected peer silent (no RTCP, no RTP) this long is lost, ms. Default 10000. */
  peerSilenceTimeoutMs?: number;
  /** Most pushed/synthesised speech queued per session, ms. Default 60000. */
  maxQueuedSpeechMs?: number;
  /** Most microphone audio buffered before the oldest is dropped, ms. Default 200. */
  maxMicLagMs?: number;
  /** Microphone backlog tolerated for good; a standing backlog above it is cut back to it, ms. Default 40. */
  micTargetMs?: number;
  /** Interval of `stats` messages on the ws, ms. Default 1000. */
  statsIntervalMs?: number;
  /** STUN/TURN servers for both ends. Default none (host candidates). */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  /** UDP port range for ICE. Default any. */
  icePortRange?: [number, number];
  /** Extra host addresses to advertise in ICE (a public IP in front of NAT). Default none. */
  iceAdditionalHostAddresses?: string[];
  /**
   * Called for every video frame sent, with its audio-in → frame-out latency when it showed
   * speech (metrics histograms, benchmarks). Default none.
   */
  onFrame?: (event: FrameEvent) => void;
}

/** One video frame that left a session. */
export interface FrameEvent {
  sessionId: string;
  frameIndex: number;
  sentAtMs: number;
  latencyMs: number | undefined;
  /** A VP8 key frame (periodic, or made on request). */
  keyframe: boolean;
}

export const LIVE_SERVER_DEFAULTS: Readonly<
  Required<Omit<LiveServerOptions, 'icePortRange' | 'onFrame'>>
> = Object.freeze({
  maxSessions: 2,
  tokenTtlMs: 60_000,
  connectTimeoutMs: 30_000,
  peerSilenceTimeoutMs: 10_000,
  maxQueuedSpeechMs: 60_000,
  maxMicLagMs: 200,
  micTargetMs: 40,
  statsIntervalMs: 1000,
  iceServers: [],
  iceAdditionalHostAddresses: [],
});

/**
 * Live options from the environment: `FACECAST_MAX_SESSIONS` (cap), `FACECAST_ICE_HOST`
 * (comma-separated addresses to advertise, e.g. the public IP in front of NAT),
 * `FACECAST_ICE_PORTS` (`min-max` UDP range), `FACECAST_STUN_URLS` (comma-separated
 * `stun:` URLs handed to both ends). Malformed values throw.
 */
export function liveOptionsFromEnv(env: NodeJS.ProcessEnv): LiveServerOptions {
  const out: LiveServerOptions = {};
  if (env.FACECAST_MAX_SESSIONS) {
    const n = Number(env.FACECAST_MAX_SESSIONS);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError('FACECAST_MAX_SESSIONS must be a positive integer');
    out.maxSessions = n;
  }
  if (env.FACECAST_ICE_HOST)
    out.iceAdditionalHostAddresses = env.FACECAST_ICE_HOST.split(',').map((s) => s.trim());
  if (env.FACECAST_ICE_PORTS) {
    const m = /^(\d+)-(\d+)$/.exec(env.FACECAST_ICE_PORTS);
    if (!m || Number(m[1]) > Number(m[2]))
      throw new RangeError('FACECAST_ICE_PORTS must be "min-max"');
    out.icePortRange = [Number(m[1]), Number(m[2])];
  }
  if (env.FACECAST_STUN_URLS)
    out.iceServers = [{ urls: env.FACECAST_STUN_URLS.split(',').map((s) => s.trim()) }];
  return out;
}
