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

/** One text or streamed turn: its sentences share an id, a voice and a total duration. */
interface Turn {
  id: string | undefined;
  voice: string | undefined;
  splitter: SentenceSplitter;
  /** Index of the next sentence. */
  index: number;
  durationMs: number;
}

interface Sentence {
  text: string;
  /** When its text was complete (`performance.now()`). */
  arrivalMs: number;
  index: number;
  /** The last sentence of its turn: the turn's `text.queued` goes out after it. */
  last: boolean;
}

function newTurn(id: string | undefined, voice: string | undefined): Turn {
  return { id, voice, splitter: new SentenceSplitter(), index: 0, durationMs: 0 };
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
  #turn: Turn | undefined;
  constructor(options: TextSpeakerOptions) {
    this.#o = options;
  }

  /** A whole text: its sentences are spoken in order; `text.queued` follows the last. */
  say(text: string, id: string | undefined, voice: string | undefined): void {
    const turn = newTurn(id, voice);
    const parts = [...turn.splitter.push(text), ...turn.splitter.end()];
    if (parts.length === 0) {
      this.#o.send({
        type: 'error',
        code: 'TTS_EMPTY_TEXT',
        message: 'the text has nothing to speak',
        fatal: false,
      });
      return;
    }
    this.#enqueueAll(turn, parts, true);
  }

  /** A piece of a streamed text; completed sentences are spoken at once. */
  delta(text: string, id: string | undefined, voice: string | undefined): void {
    if (this.#turn && this.#turn.id !== id) this.end(this.#turn.id);
    this.#turn ??= newTurn(id, voice);
    this.#enqueueAll(this.#turn, this.#turn.splitter.push(text), false);
  }

  /** The streamed text is complete: its rest is spoken; `text.queued` follows. */
  end(id: string | undefined): void {
    const turn = this.#turn;
    if (!turn || turn.id !== id) return;
    this.#turn = undefined;
    const rest = turn.splitter.end();
    if (rest.length > 0) this.#enqueueAll(turn, rest, true);
    else {
      const generation = this.#generation;
      this.#chain = this.#chain.then(() => {
        if (generation === this.#generation) this.#turnDone(turn);
      });
    }
  }

  /** Drops every sentence not yet queued and aborts the synthesis in flight. */
  interrupt(): void {
    this.#generation++;
    this.#turn = undefined;
    this.#inFlight?.abort(new AbortedError('interrupted'));
  }

  /** Queues sentences of `turn` for synthesis, in order; `last`: they end the turn. */
  #enqueueAll(turn: Turn, parts: string[], last: boolean): void {
    const arrivalMs = performance.now();
    parts.forEach((text, i) => {
      const sentence = {
        text,
        arrivalMs,
        index: turn.index++,
        last: last && i === parts.length - 1,
      };
      this.#enqueue(turn, sentence);
    });
  }

  #enqueue(turn: Turn, sentence: Sentence): void {
    const generation = this.#generation;
    const chain = this.#chain.then(() => this.#speak(turn, sentence, generation));
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

  async #speak(turn: Turn, s: Sentence, generation: number): Promise<void> {
    if (generation !== this.#generation || this.#o.signal.aborted) return;
    const controller = new AbortController();
    this.#inFlight = controller;
    const signal = AbortSignal.any([this.#o.signal, controller.signal]);
    const voice = turn.voice ?? this.#o.voice;
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
    turn.durationMs += durationMs;
    this.#o.send({
      type: 'sentence.queued',
      ...(turn.id ? { id: turn.id } : {}),
      index: s.index,
      text: s.text,
      durationMs,
    });
    if (s.last) this.#turnDone(turn);
  }

  #turnDone(turn: Turn): void {
    const id = turn.id;
    this.#o.send({ type: 'text.queued', ...(id ? { id } : {}), durationMs: turn.durationMs });
  }

  async *#whole(
    text: string,
    options: { voice?: string; signal: AbortSignal },
  ): AsyncIterable<Float32Array> {
    yield await this.#o.port.synthesize(text, options);
  }
}
