import { type AudioReader, openAudio } from '../audio/index.ts';
import { type ControlsFrame, type ControlsSequence, FRAME_DURATION_MS } from '../controls/index.ts';
import type { MotionModel, MotionStream } from '../motion/index.ts';

/** Where the new mouth comes from: Controls frames (25 fps) around any instant. */
export interface MouthSource {
  /**
   * The two 25 fps frames around `timeMs` and where it falls between them (0–1); requests
   * never go back in time. Past the end the last frame is held.
   */
  at(timeMs: number): Promise<{ before: ControlsFrame; after: ControlsFrame; fraction: number }>;
  /** Wall time spent decoding audio and in the motion model, ms. */
  readonly timingsMs: { decode: number; motion: number };
  close(): Promise<void>;
}

/** A {@link MouthSource} over Controls given up front (e.g. a captured ARKit performance). */
export class SequenceCursor implements MouthSource {
  readonly #frames: ControlsFrame[];
  readonly timingsMs = { decode: 0, motion: 0 };

  constructor(sequence: ControlsSequence) {
    if (sequence.frames.length === 0) throw new RangeError('the Controls sequence has no frames');
    this.#frames = sequence.frames;
  }

  async at(
    timeMs: number,
  ): Promise<{ before: ControlsFrame; after: ControlsFrame; fraction: number }> {
    const last = this.#frames.length - 1;
    const position = Math.max(0, timeMs / FRAME_DURATION_MS);
    const i = Math.min(last, Math.floor(position));
    return {
      before: this.#frames[i] as ControlsFrame,
      after: this.#frames[Math.min(last, i + 1)] as ControlsFrame,
      fraction: i < last ? position - i : 0,
    };
  }

  async close(): Promise<void> {}
}

/**
 * The new audio's Controls at any time, computed as needed: audio chunks are decoded and fed
 * to a motion stream only as far as the requested time plus the model's look-ahead, and
 * frames behind the last request are dropped, so memory stays bounded at any length.
 * Requests must not go back in time.
 */
export class MotionCursor implements MouthSource {
  readonly #stream: MotionStream;
  readonly #chunks: AsyncIterator<Float32Array>;
  readonly #signal: AbortSignal | undefined;
  /** Frames [first, first + frames.length). */
  #first = 0;
  readonly #frames: ControlsFrame[] = [];
  #done = false;
  #closed = false;
  /** Wall time spent decoding and in the motion model, ms. */
  readonly timingsMs = { decode: 0, motion: 0 };

  private constructor(stream: MotionStream, reader: AudioReader, signal: AbortSignal | undefined) {
    this.#stream = stream;
    this.#chunks = reader[Symbol.asyncIterator]();
    this.#signal = signal;
  }

  static async open(
    model: MotionModel,
    audioPath: string,
    options: { maxDurationMs?: number; signal?: AbortSignal } = {},
  ): Promise<MotionCursor> {
    const reader = await openAudio(audioPath, {
      signal: options.signal,
      ...(options.maxDurationMs ? { maxDurationMs: options.maxDurationMs } : {}),
    });
    // Raw audio-driven motion: blinks and head sway come from the video, not from idle life.
    return new MotionCursor(model.createStream({ idle: false }), reader, options.signal);
  }

  /**
   * The two 25 fps frames around `timeMs` and where it falls between them (0–1). Past the
   * audio's end the last frame is held.
   */
  async at(
    timeMs: number,
  ): Promise<{ before: ControlsFrame; after: ControlsFrame; fraction: number }> {
    const position = Math.max(0, timeMs / FRAME_DURATION_MS);
    const i = Math.floor(position);
    while (!this.#done && this.#first + this.#frames.length <= i + 1) await this.#pull();
    const last = this.#first + this.#frames.length - 1;
    if (last < 0) throw new RangeError('the audio produced no motion frames');
    const frame = (k: number) =>
      this.#frames[Math.min(last, Math.max(this.#first, k)) - this.#first] as ControlsFrame;
    const before = frame(i);
    const after = frame(i + 1);
    // Frames before i are never asked for again.
    const drop = Math.min(this.#frames.length - 1, Math.max(0, i - this.#first));
    this.#frames.splice(0, drop);
    this.#first += drop;
    return { before, after, fraction: i + 1 <= last ? position - i : 0 };
  }

  /** Ends the decode and releases the stream. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#done = true;
    this.#frames.length = 0;
    await this.#chunks.return?.();
    this.#stream.close();
  }

  async #pull(): Promise<void> {
    let t = performance.now();
    const next = await this.#chunks.next();
    this.timingsMs.decode += performance.now() - t;
    t = performance.now();
    const out = next.done
      ? await this.#stream.flush({ signal: this.#signal })
      : await this.#stream.process({ pcm: next.value }, { signal: this.#signal });
    this.timingsMs.motion += performance.now() - t;
    if (next.done) this.#done = true;
    this.#frames.push(...out.frames);
  }
}
