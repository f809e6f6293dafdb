import type { ControlsFrame } from '../controls/index.ts';
import { MelExtractor } from '../features/index.ts';
import { type ComposeOptions, ControlsComposer } from './compose.ts';
import { MotionCore, type MotionCoreOptions, type MotionRows } from './core.ts';
import { MotionError } from './errors.ts';
import type { MotionModel } from './model.ts';

/** Input of {@link MotionStream.process}: 16 kHz mono samples, or log-mel frames (80 bands, frame-major). */
export type MotionInput = { pcm: Float32Array } | { mel: Float32Array };

/** Options for a motion stream. */
export interface MotionStreamOptions extends ComposeOptions, MotionCoreOptions {}

/** What `process`/`flush` return: Controls frames and the raw model rows they came from. */
export interface MotionOutput {
  /** Index of `frames[0]` in the stream (frame i is the instant i × 40 ms). */
  firstFrame: number;
  frames: ControlsFrame[];
  /** Raw model outputs (MOTION_OUTPUTS order), before clamping and idle life. */
  rows: Float32Array;
}

/**
 * A streaming motion processor shaped like a werift processor: `process()` takes audio chunks
 * of any size (or mel frames) and returns every Controls frame now complete, keeping state
 * between calls; `flush()` ends the stream; `interrupt()` drops the audio context (barge-in)
 * while the frame clock and idle life continue; `toJSON()` gives stats. Look-ahead: 2 frames
 * (80 ms) plus the mel window's 12.5 ms.
 *
 * Offline and streaming use the same code path: feeding a file in one piece or in 20 ms chunks
 * gives the same frames (differences only from onnxruntime's float rounding, < 1e-5).
 *
 * @example
 * const stream = model.createStream({ seed: 7 });
 * for await (const chunk of microphone) send((await stream.process({ pcm: chunk })).frames);
 * send((await stream.flush()).frames);
 */
export class MotionStream {
  readonly #core: MotionCore;
  readonly #composer: ControlsComposer;
  #mel: MelExtractor | undefined;
  #mode: 'pcm' | 'mel' | undefined;
  #samples = 0;
  /** Frames emitted before the last interrupt (the stream's frame clock keeps running). */
  #frameOffset = 0;
  #closed = false;
  /** Calls run one at a time in call order (the model's buffers are per stream). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(model: MotionModel, options: MotionStreamOptions = {}) {
    this.#core = new MotionCore(model, options);
    this.#composer = new ControlsComposer({
      mouthGain: model.mouthGain,
      mouthSoftCeiling: model.mouthSoftCeiling,
      mouthGate: model.mouthGate,
      ...options,
    });
  }

  /** Frames emitted so far (the index of the next frame). */
  get framesEmitted(): number {
    return this.#frameOffset + this.#core.framesEmitted;
  }

  /** Feeds audio (or mel); resolves with every frame now complete. Calls are queued in order. */
  process(input: MotionInput, options: { signal?: AbortSignal } = {}): Promise<MotionOutput> {
    return this.#enqueue(() => this.#process(input, options));
  }

  /** Ends the stream: emits the remaining frames (the last 80 ms) and resets for reuse. */
  flush(options: { signal?: AbortSignal } = {}): Promise<MotionOutput> {
    return this.#enqueue(() => this.#flush(options));
  }

  async #process(input: MotionInput, options: { signal?: AbortSignal }): Promise<MotionOutput> {
    this.#check();
    let mel: Float32Array;
    if ('pcm' in input) {
      this.#setMode('pcm');
      if (!input.pcm.every(Number.isFinite))
        throw new MotionError('MOTION_BAD_INPUT', 'audio samples must be finite numbers');
      this.#mel ??= new MelExtractor();
      this.#samples += input.pcm.length;
      mel = this.#mel.process(input.pcm).data;
    } else {
      this.#setMode('mel');
      mel = input.mel;
    }
    return this.#emit(await this.#core.process(mel, options));
  }

  async #flush(options: { signal?: AbortSignal }): Promise<MotionOutput> {
    this.#check();
    const parts: MotionOutput[] = [];
    if (this.#mel)
      parts.push(this.#emit(await this.#core.process(this.#mel.flush().data, options)));
    parts.push(this.#emit(await this.#core.flush(options)));
    const out = merge(parts);
    this.#mode = undefined;
    this.#mel = undefined;
    this.#samples = 0;
    this.#frameOffset = 0;
    this.#composer.reset();
    return out;
  }

  /**
   * Barge-in: drops buffered audio and the model's context without emitting it. The frame
   * clock and the idle life continue, so the next frames follow on smoothly in time. Takes
   * effect after calls already queued; resolves when done.
   */
  interrupt(): Promise<void> {
    return this.#enqueue(async () => {
      this.#frameOffset += this.#core.framesEmitted;
      this.#core.reset();
      this.#mel?.reset();
    });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Releases the stream (idempotent). The model stays open. */
  close(): void {
    this.#closed = true;
    this.#core.close();
  }

  toJSON() {
    return {
      ...this.#core.toJSON(),
      mode: this.#mode ?? null,
      samplesReceived: this.#samples,
      framesEmitted: this.framesEmitted,
    };
  }

  #emit(rows: MotionRows): MotionOutput {
    return {
      firstFrame: this.#frameOffset + rows.firstFrame,
      frames: this.#composer.compose(rows.data, rows.frames),
      rows: rows.data,
    };
  }

  #setMode(mode: 'pcm' | 'mel'): void {
    if (this.#mode !== undefined && this.#mode !== mode)
      throw new MotionError(
        'MOTION_BAD_INPUT',
        `this stream takes ${this.#mode} input; flush() before switching`,
      );
    this.#mode = mode;
  }

  #check(): void {
    if (this.#closed) throw new MotionError('MOTION_CLOSED', 'the motion stream is closed');
  }
}

function merge(parts: MotionOutput[]): MotionOutput {
  const rows = new Float32Array(parts.reduce((n, p) => n + p.rows.length, 0));
  let o = 0;
  for (const p of parts) {
    rows.set(p.rows, o);
    o += p.rows.length;
  }
  return { firstFrame: parts[0]?.firstFrame ?? 0, frames: parts.flatMap((p) => p.frames), rows };
}

/**
 * The AsyncIterable adapter: pulls 16 kHz chunks from `source` as the consumer pulls results
 * (so a slow consumer slows the reader — no unbounded queue), yields each non-empty output,
 * then the flush.
 *
 * @example
 * for await (const out of motionFrames(model, await openAudio('talk.wav'), { seed: 2 }))
 *   send(out.frames);
 */
export async function* motionFrames(
  model: MotionModel,
  source: AsyncIterable<Float32Array> | Iterable<Float32Array>,
  options: MotionStreamOptions & { signal?: AbortSignal } = {},
): AsyncGenerator<MotionOutput> {
  const { signal, ...streamOptions } = options;
  const stream = model.createStream(streamOptions);
  try {
    for await (const pcm of source) {
      const out = await stream.process({ pcm }, { signal });
      if (out.frames.length > 0) yield out;
    }
    const tail = await stream.flush({ signal });
    if (tail.frames.length > 0) yield tail;
  } finally {
    stream.close();
  }
}
