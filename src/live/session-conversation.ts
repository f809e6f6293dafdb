import type { ControlsFrame } from '../controls/index.ts';
import { Conversation, type ConversationStats } from './conversation.ts';
import { LiveError } from './errors.ts';
import { ListenerMotion } from './listener.ts';
import type { ReadyFrame } from './pipeline.ts';
import type { SpeechPort } from './ports.ts';
import type { ServerMessage } from './protocol.ts';
import { TextSpeaker } from './text-speaker.ts';

/** What {@link SessionConversation} needs from its session. */
export interface SessionConversationOptions {
  /** TTS for text input; absent → text is refused with LIVE_TTS_UNAVAILABLE. */
  port: SpeechPort | undefined;
  /** The session's default voice. */
  voice: string | undefined;
  /** Seed of the listener's nods. */
  seed: number;
  pushSpeech(samples: Float32Array, arrivalMs: number): void;
  send(message: ServerMessage): void;
  signal: AbortSignal;
  log(message: string, error: unknown): void;
}

/**
 * A session's conversational side, in one place: text input cut into sentences
 * ({@link TextSpeaker}), the state machine ({@link Conversation}) stepped every tick and
 * announced on change (`conversation` messages), the listener pose ({@link ListenerMotion})
 * applied to outgoing Controls, and the bookkeeping of which sent frames carry the voice
 * (for the sentence and interrupt latencies).
 */
export class SessionConversation {
  readonly #conversation = new Conversation();
  readonly #listener: ListenerMotion;
  readonly #text: TextSpeaker | undefined;
  readonly #send: (message: ServerMessage) => void;
  /** Frames queued to the encoder that carry the avatar's voice. */
  readonly #voiced = new Set<number>();

  constructor(o: SessionConversationOptions) {
    this.#send = o.send;
    this.#listener = new ListenerMotion({ seed: o.seed });
    this.#text =
      o.port &&
      new TextSpeaker({
        port: o.port,
        voice: o.voice,
        signal: o.signal,
        pushSpeech: o.pushSpeech,
        onSentence: (arrivalMs) => this.#conversation.sentenceQueued(arrivalMs),
        send: o.send,
        log: o.log,
      });
  }

  /** Text input; throws LIVE_TTS_UNAVAILABLE without a TTS provider. */
  get text(): TextSpeaker {
    if (!this.#text)
      throw new LiveError('LIVE_TTS_UNAVAILABLE', 'no TTS provider is installed on this server');
    return this.#text;
  }

  /** The pipeline's `shape`: the listener pose while listening. */
  shape(controls: ControlsFrame, frameIndex: number): ControlsFrame {
    return this.#listener.apply(controls, frameIndex);
  }

  /** One 20 ms tick; `speaking`: whether the avatar's speech played in it. */
  tick(speaking: boolean, now: number): void {
    const before = this.#conversation.state;
    const state = this.#conversation.step({ speaking }, now);
    this.#listener.listening = state === 'listening';
    if (state !== before) this.#send({ type: 'conversation', state });
  }

  /** A block of the user's microphone at `levelDbfs` (mic: listen). */
  micLevel(levelDbfs: number, now: number): void {
    this.#conversation.micLevel(levelDbfs, now);
  }

  interrupt(now: number): void {
    this.#text?.interrupt();
    this.#conversation.interrupt(now);
  }

  frameQueued(frame: ReadyFrame): void {
    if (frame.speech) this.#voiced.add(frame.frameIndex);
  }

  frameSent(frameIndex: number, sentAtMs: number): void {
    this.#conversation.frameSent(this.#voiced.delete(frameIndex), sentAtMs);
    // entries of frames the encoder never returned must not accumulate
    for (const key of this.#voiced) if (key < frameIndex) this.#voiced.delete(key);
  }

  toJSON(): ConversationStats {
    return this.#conversation.toJSON();
  }
}
