import { AbortedError, isFacecastError } from '../core/index.ts';
import type { SpeechPort } from './ports.ts';
import type { ServerMessage } from './protocol.ts';
import { SentenceSplitter } from './sentences.ts';

/** What {@link TextSpeaker} needs from its session. */
export interface TextSpeakerOptions {
  port: SpeechPort;
  /** Queues synthesised speech (the session's speech queue); may throw LIVE_SPEECH_BACKLOG. */
  pushSpeech(samples: Float32Array, arrivalMs: number): void;
  /** A sentence's first speech was queued; `arrivalMs`: when its text was complete. */
  onSentence(arrivalMs: number): void;
  send(message: ServerMessage): void;
  /** The session's default voice. */
  voice?: string | undefined;
  /** Ends with the session. */
  signal: AbortSignal;
  /** Logs internal failures. */
  log(message: string, error: unknown): void;
}

interface Sentence {
  text: string;
  arrivalMs: number;
  voice: string | undefined;
  id: string | undefined;
  index: number;
  /** Set on the last sentence of a text or turn: its `text.queued` total goes out after it. */
  turn?: { durationMs: number };
}

/**
 * A session's text input: whole texts (`text`) and text streamed in pieces (`text.delta` …
 * `text.end`, e.g. an LLM's tokens) are cut into sentences, and each sentence is synthesised
 * and queued as soon as it is complete — while the next is still arriving — in message order.
 * Speech from a streaming TTS is queued chunk by chunk as it arrives. `interrupt()` aborts
 * the synthesis in flight and drops sentences not yet spoken.
 *
 * @example
 * const speaker = new TextSpeaker({ port, pushSpeech, onSentence, send, signal, log });
 * speaker.delta('Hello there. How', 't1');
 * speaker.delta(' are you?', 't1');
 * speaker.end('t1');
 */
export class TextSpeaker {
  readonly #o: TextSpeakerOptions;
  #chain: Promise<void> = Promise.resolve();
  #generation = 0;
  #inFlight: AbortController | undefined;
  /** The streamed turn being written (`text.delta` … `text.end`). */
  #turn:
    | {
        id: string | undefined;
        voice: string | undefined;
        splitter: SentenceSplitter;
        index: number;
        total: { durationMs: number };
      }
    | undefined;

  constructor(options: TextSpeakerOptions) {
    this.#o = options;
  }

  /** A whole text: its sentences are spoken in order; `text.queued` follows the last. */
  say(text: string, id: string | undefined, voice: string | undefined): void {
    const splitter = new SentenceSplitter();
    const parts = [...splitter.push(text), ...splitter.end()];
    if (parts.length === 0) {
      this.#o.send({
        type: 'error',
        code: 'TTS_EMPTY_TEXT',
        message: 'the text has nothing to speak',
        fatal: false,
      });
      return;
    }
    const total = { durationMs: 0 };
    parts.forEach((part, index) => {
      this.#enqueue(
        {
          text: part,
          arrivalMs: performance.now(),
          voice,
          id,
          index,
          ...(index === parts.length - 1 ? { turn: total } : {}),
        },
        total,
      );
    });
  }

  /** A piece of a streamed text; completed sentences are spoken at once. */
  delta(text: string, id: string | undefined, voice: string | undefined): void {
    if (this.#turn && this.#turn.id !== id) this.end(this.#turn.id);
    this.#turn ??= {
      id,
      voice,
      splitter: new SentenceSplitter(),
      index: 0,
      total: { durationMs: 0 },
    };
    const turn = this.#turn;
    for (const part of turn.splitter.push(text))
      this.#enqueue(
        { text: part, arrivalMs: performance.now(), voice: turn.voice, id, index: turn.index++ },
        turn.total,
      );
  }

  /** The streamed text is complete: its rest is spoken; `text.queued` follows. */
  end(id: string | undefined): void {
    const turn = this.#turn;
    if (!turn || turn.id !== id) return;
    this.#turn = undefined;
    const rest = turn.splitter.end();
    if (rest.length === 0) {
      this.#chain = this.#chain.then(() => this.#turnDone(id, turn.total));
      return;
    }
    rest.forEach((part, i) => {
      this.#enqueue(
        {
          text: part,
          arrivalMs: performance.now(),
          voice: turn.voice,
          id,
          index: turn.index++,
          ...(i === rest.length - 1 ? { turn: turn.total } : {}),
        },
        turn.total,
      );
    });
  }

  /** Drops every sentence not yet queued and aborts the synthesis in flight. */
  interrupt(): void {
    this.#generation++;
    this.#turn = undefined;
    this.#inFlight?.abort(new AbortedError('interrupted'));
  }

  #enqueue(sentence: Sentence, total: { durationMs: number }): void {
    const generation = this.#generation;
    const chain = this.#chain.then(() => this.#speak(sentence, generation, total));
    // A TTS failure (unknown voice, engine missing, …) fails that sentence, never the session.
    this.#chain = chain.catch((error: unknown) => {
      if (this.#o.signal.aborted || generation !== this.#generation) return;
      const known = isFacecastError(error);
      if (!known || error.kind === 'internal') this.#o.log('TTS', error);
      this.#o.send({
        type: 'error',
        code: known ? error.code : 'LIVE_TTS_FAILED',
        message: `text not spoken: ${error instanceof Error ? error.message : String(error)}`,
        fatal: false,
      });
    });
  }

  async #speak(s: Sentence, generation: number, total: { durationMs: number }): Promise<void> {
    if (generation !== this.#generation || this.#o.signal.aborted) return;
    const controller = new AbortController();
    this.#inFlight = controller;
    const signal = AbortSignal.any([this.#o.signal, controller.signal]);
    const voice = s.voice ?? this.#o.voice;
    const options = { ...(voice ? { voice } : {}), signal };
    let samples = 0;
    try {
      const chunks = this.#o.port.stream?.(s.text, options) ?? this.#whole(s.text, options);
      for await (const chunk of chunks) {
        if (generation !== this.#generation || this.#o.signal.aborted) return;
        if (chunk.length === 0) continue;
        this.#o.pushSpeech(chunk, performance.now());
        if (samples === 0) this.#o.onSentence(s.arrivalMs);
        samples += chunk.length;
      }
    } finally {
      if (this.#inFlight === controller) this.#inFlight = undefined;
    }
    const durationMs = samples / 16;
    total.durationMs += durationMs;
    this.#o.send({
      type: 'sentence.queued',
      ...(s.id ? { id: s.id } : {}),
      index: s.index,
      text: s.text,
      durationMs,
    });
    if (s.turn) this.#turnDone(s.id, total);
  }

  #turnDone(id: string | undefined, total: { durationMs: number }): void {
    this.#o.send({ type: 'text.queued', ...(id ? { id } : {}), durationMs: total.durationMs });
  }

  async *#whole(
    text: string,
    options: { voice?: string; signal: AbortSignal },
  ): AsyncIterable<Float32Array> {
    yield await this.#o.port.synthesize(text, options);
  }
}
