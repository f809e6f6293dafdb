/**
 * The live-session signalling protocol: JSON text messages over one WebSocket per session
 * (`/v1/sessions/:id/ws?token=…`), plus binary messages carrying raw PCM after
 * `audio.start`. Every incoming message is validated here; the types are inferred.
 */
import { z } from 'zod';
import { pcmFormatSchema } from '../audio/index.ts';
import type { WireClientMessage } from './wire.ts';

export type { ServerMessage, SessionState, SessionStatsJson, WireClientMessage } from './wire.ts';

/** Largest JSON text message, bytes. An SDP offer from a browser is 3–8 KB. */
export const MAX_TEXT_MESSAGE_BYTES = 64 * 1024;
/** Largest binary (PCM) message, bytes: 1 s of 48 kHz stereo f32 is 384 000. */
export const MAX_BINARY_MESSAGE_BYTES = 256 * 1024;
/** Hard cap enforced by the ws server itself; beyond it the socket is closed (1009). */
export const MAX_WS_PAYLOAD_BYTES = 1024 * 1024;

const iceCandidate = z
  .object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();

/** Messages the client sends. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  /** The browser's SDP offer (one per session; the server answers). */
  z
    .object({ type: z.literal('offer'), sdp: z.string().min(1).max(MAX_TEXT_MESSAGE_BYTES) })
    .strict(),
  /** A trickled ICE candidate of the browser; `null` ends the candidates. */
  z.object({ type: z.literal('ice'), candidate: iceCandidate.nullable() }).strict(),
  /** Text for the avatar to speak (needs a TTS provider on the server). */
  z
    .object({
      type: z.literal('text'),
      text: z.string().trim().min(1).max(2000),
      /** Echoed back in `text.queued` / `text.done`. */
      id: z.string().max(64).optional(),
      voice: z.string().min(1).max(100).optional(),
    })
    .strict(),
  /**
   * A piece of text being written (an LLM's tokens): each sentence is spoken as soon as it
   * is complete. Pieces with the same `id` form one turn; `text.end` completes it.
   */
  z
    .object({
      type: z.literal('text.delta'),
      text: z.string().min(1).max(2000),
      id: z.string().max(64).optional(),
      voice: z.string().min(1).max(100).optional(),
    })
    .strict(),
  /** The streamed text of turn `id` is complete: its last sentence is spoken. */
  z.object({ type: z.literal('text.end'), id: z.string().max(64).optional() }).strict(),
  /** Starts a PCM stream: the following binary messages are raw PCM in this format. */
  z.object({ type: z.literal('audio.start'), format: pcmFormatSchema }).strict(),
  /** A PCM chunk as base64, for clients that cannot send binary messages. */
  z
    .object({ type: z.literal('audio'), data: z.string().max(MAX_BINARY_MESSAGE_BYTES * 2) })
    .strict(),
  /** Ends the PCM stream (a dangling partial sample is an error). */
  z.object({ type: z.literal('audio.end') }).strict(),
  /** Stops the avatar's speech now: queued speech is dropped within one frame. */
  z.object({ type: z.literal('interrupt') }).strict(),
  /** Push-to-talk: microphone audio is spoken by the avatar only while enabled. */
  z.object({ type: z.literal('mic'), enabled: z.boolean() }).strict(),
  z.object({ type: z.literal('ping'), t: z.number().optional() }).strict(),
  /** Ends the session. */
  z.object({ type: z.literal('bye') }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// The browser client types its messages with wire.ts (no zod in the bundle); these two lines
// fail to compile if the hand-written type and the schema ever disagree.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _wireMatchesSchema: Mutual<WireClientMessage, z.input<typeof clientMessageSchema>> = true;
void _wireMatchesSchema;

/** Result of parsing one incoming text message. */
export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'LIVE_BAD_MESSAGE' | 'LIVE_MESSAGE_TOO_LARGE'; message: string };

/** Parses and validates one text message (size, JSON, schema), never throwing. */
export function parseClientMessage(text: string): ParseResult {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_TEXT_MESSAGE_BYTES) {
    return {
      ok: false,
      code: 'LIVE_MESSAGE_TOO_LARGE',
      message: `text message of ${bytes} bytes exceeds ${MAX_TEXT_MESSAGE_BYTES}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'LIVE_BAD_MESSAGE', message: 'message is not valid JSON' };
  }
  const result = clientMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'message';
    return {
      ok: false,
      code: 'LIVE_BAD_MESSAGE',
      message: `invalid message: ${where}: ${issue?.message ?? 'does not match the protocol'}`,
    };
  }
  return { ok: true, message: result.data };
}
