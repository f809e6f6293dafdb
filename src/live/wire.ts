/**
 * The wire types of the live protocol, with no imports: shared by the server (protocol.ts
 * validates incoming messages with zod and checks it agrees with these) and the browser
 * client (client/src), which must not bundle zod or Node modules.
 */

/** A message the client sends (JSON text; raw PCM travels as binary messages). */
export type WireClientMessage =
  | { type: 'offer'; sdp: string }
  | {
      type: 'ice';
      candidate: {
        candidate: string;
        sdpMid?: string | null | undefined;
        sdpMLineIndex?: number | null | undefined;
        usernameFragment?: string | null | undefined;
      } | null;
    }
  | { type: 'text'; text: string; id?: string | undefined; voice?: string | undefined }
  | { type: 'text.delta'; text: string; id?: string | undefined; voice?: string | undefined }
  | { type: 'text.end'; id?: string | undefined }
  | {
      type: 'audio.start';
      format: {
        encoding: 's16le' | 'f32le';
        sampleRate: 16000 | 24000 | 48000;
        channels?: 1 | 2 | undefined;
      };
    }
  | { type: 'audio'; data: string }
  | { type: 'audio.end' }
  | { type: 'interrupt' }
  | { type: 'mic'; enabled: boolean }
  | { type: 'ping'; t?: number | undefined }
  | { type: 'bye' };

/** Per-session statistics, as sent in `stats` messages and served by the HTTP API. */
export interface SessionStatsJson {
  sessionId: string;
  avatarId: string;
  state: SessionState;
  uptimeMs: number;
  /** Frames sent per second over the last 5 s. */
  fps: number;
  framesSent: number;
  /** Frames not sent: rendered late (dropped oldest) or refused by a busy encoder. */
  framesDropped: number;
  /** Audio-in → frame-out latency over the last 250 speaking frames, ms (null while none). */
  latencyMs: { p50: number | null; p95: number | null; last: number | null };
  queues: {
    /** Queued pushed/synthesised speech, ms. */
    speechMs: number;
    /** Buffered microphone audio, ms. */
    micMs: number;
    /** Frames waiting for motion look-ahead. */
    motionFrames: number;
    /** Frames inside the video encoder. */
    encoderFrames: number;
  };
  audio: {
    packetsSent: number;
    micPackets: number;
    /** 20 ms steps where the microphone ran dry part-way (a short gap in the echoed voice). */
    micUnderruns: number;
    speaking: boolean;
  };
  peer: string;
  /** The avatar's side of the conversation. */
  conversation: {
    /** idle, listening (the user speaks, the avatar does not), speaking, interrupted. */
    state: 'idle' | 'listening' | 'speaking' | 'interrupted';
    /** Whether the user's microphone carries voice now. */
    userSpeaking: boolean;
    sentencesSpoken: number;
    /** Sentence complete → its first spoken frame sent, ms (sentences that found the avatar silent). */
    firstSpokenFrameMs: { p50: number | null; last: number | null; count: number };
    /** Interrupt → first silent frame sent, ms. */
    interruptMs: { p50: number | null; last: number | null; count: number };
  };
}

export type SessionState = 'waiting' | 'negotiating' | 'live' | 'closed';

/** Messages the server sends. */
export type ServerMessage =
  | {
      type: 'ready';
      sessionId: string;
      avatarId: string;
      video: { codec: 'VP8'; width: number; height: number; fps: number };
      audio: { codec: 'opus'; sampleRate: 48000; channels: 1 };
      iceServers: { urls: string | string[]; username?: string; credential?: string }[];
      limits: {
        maxTextMessageBytes: number;
        maxBinaryMessageBytes: number;
        maxQueuedSpeechMs: number;
      };
      tts: boolean;
    }
  | { type: 'answer'; sdp: string }
  | {
      type: 'ice';
      candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };
    }
  | { type: 'state'; state: SessionState; peer: string }
  | { type: 'speaking'; speaking: boolean }
  | { type: 'text.queued'; id?: string; durationMs: number }
  /** One sentence of a text or streamed turn was synthesised and queued. */
  | { type: 'sentence.queued'; id?: string; index: number; text: string; durationMs: number }
  /** The conversation state changed (see `SessionStatsJson.conversation`). */
  | { type: 'conversation'; state: 'idle' | 'listening' | 'speaking' | 'interrupted' }
  | { type: 'audio.queued'; durationMs: number }
  | { type: 'interrupted'; droppedMs: number }
  | { type: 'stats'; stats: SessionStatsJson }
  | { type: 'pong'; t?: number; serverTime: number }
  | {
      type: 'error';
      code: string;
      message: string;
      fatal: boolean;
      details?: Record<string, unknown>;
    }
  | { type: 'closed'; reason: string };
