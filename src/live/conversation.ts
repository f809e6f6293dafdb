/**
 * The conversational state of a live avatar, a small state machine stepped once per 20 ms
 * tick:
 *
 * - **speaking**: the avatar's own speech (TTS, pushed PCM) is playing;
 * - **interrupted**: speech was just cut (`interrupt`); held for `interruptedHoldMs`, then
 *   the avatar listens or idles;
 * - **listening**: the user's microphone carries voice (level above `voiceDbfs`, held
 *   `voiceHangoverMs` past its last voiced block) and the avatar is not speaking;
 * - **idle**: otherwise.
 *
 * It also keeps the two conversational latencies: sentence arrival → first spoken frame (for
 * sentences that arrive while the avatar is silent) and interrupt → first silent frame.
 * Pure: the caller passes every time.
 *
 * @example
 * const c = new Conversation();
 * c.micLevel(-30, now);           // the user speaks
 * c.step({ speaking: false }, now); // 'listening'
 */
export type ConversationState = 'idle' | 'listening' | 'speaking' | 'interrupted';

/** Options of {@link Conversation}. */
export interface ConversationOptions {
  /** Microphone level above which a block counts as the user's voice, dBFS. Default -45. */
  voiceDbfs?: number;
  /** The user still counts as speaking this long after the last voiced block, ms. Default 600. */
  voiceHangoverMs?: number;
  /** How long `interrupted` is held after an interrupt, ms. Default 400. */
  interruptedHoldMs?: number;
}

/** The conversation part of a session's stats. */
export interface ConversationStats {
  state: ConversationState;
  /** Whether the user's microphone carries voice now. */
  userSpeaking: boolean;
  sentencesSpoken: number;
  /** Sentence arrival → its first spoken frame sent, ms (sentences that found the avatar silent). */
  firstSpokenFrameMs: LatencySummary;
  /** Interrupt → first silent frame sent, ms. */
  interruptMs: LatencySummary;
}

/** A latency over the last 50 measurements, ms; `count`: measurements ever. */
export interface LatencySummary {
  p50: number | null;
  last: number | null;
  count: number;
}

const DEFAULTS: Readonly<Required<ConversationOptions>> = Object.freeze({
  voiceDbfs: -45,
  voiceHangoverMs: 600,
  interruptedHoldMs: 400,
});
const KEEP = 50;

export class Conversation {
  readonly options: Readonly<Required<ConversationOptions>>;
  #state: ConversationState = 'idle';
  #lastVoiceAt = Number.NEGATIVE_INFINITY;
  #interruptedAt: number | undefined;
  /** When the sentence that will start the next speech arrived (the avatar was silent). */
  #sentenceArrival: number | undefined;
  #sentences = 0;
  readonly #firstFrame = { values: [] as number[], count: 0 };
  readonly #interrupts = { values: [] as number[], count: 0 };
  #lastNow = 0;
  /** An interrupt whose first silent frame has not been sent yet. */
  #interruptPending = false;

  constructor(options: ConversationOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  get state(): ConversationState {
    return this.#state;
  }

  /** Whether the user's microphone carries voice at `now`. */
  userSpeaking(now: number): boolean {
    return now - this.#lastVoiceAt <= this.options.voiceHangoverMs;
  }

  /** One block of microphone audio at `levelDbfs` arrived at `now`. */
  micLevel(levelDbfs: number, now: number): void {
    if (levelDbfs > this.options.voiceDbfs) this.#lastVoiceAt = now;
  }

  /** A sentence was queued for speech; `arrivalMs` is when its text was complete. */
  sentenceQueued(arrivalMs: number): void {
    this.#sentences++;
    if (this.#state !== 'speaking' && this.#sentenceArrival === undefined)
      this.#sentenceArrival = arrivalMs;
  }

  /** Speech was cut at `now`. */
  interrupt(now: number): void {
    this.#interruptedAt = now;
    this.#interruptPending = true;
    this.#sentenceArrival = undefined;
    this.#state = 'interrupted';
  }

  /** Advances the state; `speaking`: whether the avatar's speech played this tick. */
  step({ speaking }: { speaking: boolean }, now: number): ConversationState {
    this.#lastNow = now;
    const held =
      this.#state === 'interrupted' &&
      now - (this.#interruptedAt ?? now) < this.options.interruptedHoldMs;
    if (speaking) this.#state = 'speaking';
    else if (!held) this.#state = this.userSpeaking(now) ? 'listening' : 'idle';
    return this.#state;
  }

  /** A frame left for the viewer at `sentAtMs`; `speech`: whether it carries the avatar's voice. */
  frameSent(speech: boolean, sentAtMs: number): void {
    if (speech && this.#sentenceArrival !== undefined) {
      push(this.#firstFrame, sentAtMs - this.#sentenceArrival);
      this.#sentenceArrival = undefined;
    }
    if (!speech && this.#interruptPending && this.#interruptedAt !== undefined) {
      push(this.#interrupts, sentAtMs - this.#interruptedAt);
      this.#interruptPending = false;
    }
  }

  toJSON(): ConversationStats {
    return {
      state: this.#state,
      userSpeaking: this.userSpeaking(this.#lastNow),
      sentencesSpoken: this.#sentences,
      firstSpokenFrameMs: summary(this.#firstFrame),
      interruptMs: summary(this.#interrupts),
    };
  }
}

function push(series: { values: number[]; count: number }, v: number): void {
  series.values.push(Math.round(v * 10) / 10);
  series.count++;
  if (series.values.length > KEEP) series.values.shift();
}

function summary({ values, count }: { values: number[]; count: number }): LatencySummary {
  if (values.length === 0) return { p50: null, last: null, count };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: sorted[Math.floor(sorted.length / 2)] as number,
    last: values.at(-1) as number,
    count,
  };
}
