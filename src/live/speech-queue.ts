import { LiveError } from './errors.ts';

const SAMPLES_PER_MS = 16;

interface Chunk {
  samples: Float32Array;
  /** First unread sample. */
  offset: number;
  arrivalMs: number;
}

/** One block of speech taken for a video frame. */
export interface SpeechBlock {
  /** Exactly the requested length; zeros where no speech was queued. */
  samples: Float32Array;
  /** How many of `samples` are real input (the rest is silence padding). */
  speechSamples: number;
  /** When the first real sample of the block arrived (`performance.now()`), undefined if none. */
  firstArrivalMs: number | undefined;
  /** When the last real sample of the block arrived, undefined if none. */
  arrivalMs: number | undefined;
  /** Where the speech came from: the queued lane, the microphone, or none (silence). */
  lane: 'queued' | 'live' | 'none';
}

/** Options of {@link SpeechQueue}. */
export interface SpeechQueueOptions {
  /** Most queued speech (pushed PCM, synthesised text), ms; more is refused. Default 60000. */
  maxQueuedMs?: number;
  /** Most buffered live microphone audio, ms; the oldest is dropped beyond it. Default 200. */
  maxLiveLagMs?: number;
  /**
   * Microphone audio left buffered after a take, ms, that is tolerated for good: a backlog
   * above it for `livePatienceTakes` takes in a row (a stall left it behind, and arrival and
   * consumption run at the same rate, so it would never shrink) is cut back to it, oldest
   * first. Default 40.
   */
  liveTargetMs?: number;
  /** Takes in a row above `liveTargetMs` before the backlog is cut. Default 25 (0.5 s of 20 ms ticks). */
  livePatienceTakes?: number;
}

/**
 * The session's speech input, 16 kHz mono, in two bounded lanes with deliberate policies:
 *
 * - **queued** (PCM pushed by an agent, TTS output): played out in order at real time;
 *   a push that would exceed `maxQueuedMs` is refused whole (`LIVE_SPEECH_BACKLOG`), so the
 *   sender can slow down — speech is never silently cut.
 * - **live** (the microphone): latency matters more than completeness; beyond
 *   `maxLiveLagMs` the oldest audio is dropped, and a standing backlog above
 *   `liveTargetMs` (left by a stall: arrival and consumption then run at the same rate, so
 *   it would add its delay for good) is cut back after `livePatienceTakes` takes.
 *
 * Each frame takes one block: from the queued lane while it has speech, else from the live
 * lane. Pure: no timers, the caller passes arrival times.
 *
 * @example
 * const q = new SpeechQueue();
 * q.pushLive(samples16k, performance.now());
 * const block = q.take(640); // 40 ms
 */
export class SpeechQueue {
  readonly maxQueuedSamples: number;
  readonly maxLiveSamples: number;
  readonly liveTargetSamples: number;
  readonly livePatienceTakes: number;
  #takesAboveTarget = 0;
  readonly #queued: Chunk[] = [];
  readonly #live: Chunk[] = [];
  #queuedSamples = 0;
  #liveSamples = 0;
  #droppedLiveSamples = 0;
  /** Takes from the microphone that ran dry part-way (a late packet: a short gap in the voice). */
  #liveUnderruns = 0;
  #refusedSamples = 0;
  #interruptedSamples = 0;

  constructor(options: SpeechQueueOptions = {}) {
    this.maxQueuedSamples = (options.maxQueuedMs ?? 60_000) * SAMPLES_PER_MS;
    this.maxLiveSamples = (options.maxLiveLagMs ?? 200) * SAMPLES_PER_MS;
    this.liveTargetSamples = (options.liveTargetMs ?? 40) * SAMPLES_PER_MS;
    this.livePatienceTakes = options.livePatienceTakes ?? 25;
  }

  get queuedMs(): number {
    return this.#queuedSamples / SAMPLES_PER_MS;
  }

  get liveMs(): number {
    return this.#liveSamples / SAMPLES_PER_MS;
  }

  /** Appends speech to play in order; throws `LIVE_SPEECH_BACKLOG` (and keeps nothing) when full. */
  pushQueued(samples: Float32Array, arrivalMs: number): void {
    if (samples.length === 0) return;
    if (this.#queuedSamples + samples.length > this.maxQueuedSamples) {
      this.#refusedSamples += samples.length;
      throw new LiveError(
        'LIVE_SPEECH_BACKLOG',
        `speech queue full: ${Math.round(this.queuedMs)} ms queued, ${Math.round(samples.length / SAMPLES_PER_MS)} ms more would exceed ${this.maxQueuedSamples / SAMPLES_PER_MS} ms; send in real time or wait`,
        {
          details: { queuedMs: this.queuedMs, maxQueuedMs: this.maxQueuedSamples / SAMPLES_PER_MS },
        },
      );
    }
    this.#queued.push({ samples, offset: 0, arrivalMs });
    this.#queuedSamples += samples.length;
  }

  /** Appends microphone audio; drops the oldest beyond `maxLiveLagMs`. */
  pushLive(samples: Float32Array, arrivalMs: number): void {
    if (samples.length === 0) return;
    this.#live.push({ samples, offset: 0, arrivalMs });
    this.#liveSamples += samples.length;
    const excess = this.#liveSamples - this.maxLiveSamples;
    if (excess > 0) {
      this.#discard(this.#live, excess);
      this.#liveSamples -= excess;
      this.#droppedLiveSamples += excess;
    }
  }

  /**
   * Takes the next `length` samples (zero-padded). With `dueMs` (when this audio was due
   * to enter the pipeline), queued speech that waited longer — a burst of TTS audio is
   * played out in real time on purpose — reports `dueMs` as its arrival, so latency figures
   * measure the pipeline, not the playlist. Microphone audio always reports its arrival.
   */
  take(length: number, dueMs?: number): SpeechBlock {
    const samples = new Float32Array(length);
    const fromQueued = this.#queuedSamples > 0;
    const lane = fromQueued ? this.#queued : this.#live;
    let filled = 0;
    let arrivalMs: number | undefined;
    let firstArrivalMs: number | undefined;
    while (filled < length && lane.length > 0) {
      const chunk = lane[0] as Chunk;
      firstArrivalMs ??= chunk.arrivalMs;
      const n = Math.min(length - filled, chunk.samples.length - chunk.offset);
      samples.set(chunk.samples.subarray(chunk.offset, chunk.offset + n), filled);
      filled += n;
      chunk.offset += n;
      arrivalMs = chunk.arrivalMs;
      if (chunk.offset === chunk.samples.length) lane.shift();
    }
    if (fromQueued) this.#queuedSamples -= filled;
    else {
      this.#liveSamples -= filled;
      if (filled > 0 && filled < length) this.#liveUnderruns++;
      this.#trimLiveBacklog();
    }
    if (fromQueued && dueMs !== undefined) {
      if (firstArrivalMs !== undefined) firstArrivalMs = Math.max(firstArrivalMs, dueMs);
      if (arrivalMs !== undefined) arrivalMs = Math.max(arrivalMs, dueMs);
    }
    const source = filled === 0 ? 'none' : fromQueued ? 'queued' : 'live';
    return { samples, speechSamples: filled, firstArrivalMs, arrivalMs, lane: source };
  }

  #trimLiveBacklog(): void {
    if (this.#liveSamples <= this.liveTargetSamples) {
      this.#takesAboveTarget = 0;
      return;
    }
    if (++this.#takesAboveTarget < this.livePatienceTakes) return;
    const excess = this.#liveSamples - this.liveTargetSamples;
    this.#discard(this.#live, excess);
    this.#liveSamples -= excess;
    this.#droppedLiveSamples += excess;
    this.#takesAboveTarget = 0;
  }

  /** Drops all queued and buffered speech; returns how much, ms. */
  clear(): number {
    const dropped = this.#queuedSamples + this.#liveSamples;
    this.#queued.length = 0;
    this.#live.length = 0;
    this.#queuedSamples = 0;
    this.#liveSamples = 0;
    this.#interruptedSamples += dropped;
    return dropped / SAMPLES_PER_MS;
  }

  toJSON(): {
    queuedMs: number;
    liveMs: number;
    droppedLiveMs: number;
    liveUnderruns: number;
    refusedMs: number;
    interruptedMs: number;
  } {
    return {
      queuedMs: this.queuedMs,
      liveMs: this.liveMs,
      droppedLiveMs: this.#droppedLiveSamples / SAMPLES_PER_MS,
      liveUnderruns: this.#liveUnderruns,
      refusedMs: this.#refusedSamples / SAMPLES_PER_MS,
      interruptedMs: this.#interruptedSamples / SAMPLES_PER_MS,
    };
  }

  #discard(lane: Chunk[], count: number): void {
    let left = count;
    while (left > 0 && lane.length > 0) {
      const chunk = lane[0] as Chunk;
      const n = Math.min(left, chunk.samples.length - chunk.offset);
      chunk.offset += n;
      left -= n;
      if (chunk.offset === chunk.samples.length) lane.shift();
    }
  }
}
