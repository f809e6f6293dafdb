import type { OnnxRunner } from '../inference/index.ts';
import { MotionError } from './errors.ts';
import {
  MEL_FRAMES_PER_TOKEN,
  MEL_HOP_PER_FRAME,
  MEL_SILENCE,
  MOTION_OUTPUT_COUNT,
} from './layout.ts';
import type { MotionModel } from './model.ts';

const BANDS = 80;

/** Model outputs for consecutive video frames: `data[i * 59 + c]`, frame `firstFrame + i`. */
export interface MotionRows {
  data: Float32Array;
  firstFrame: number;
  frames: number;
}

/** Options for {@link MotionCore}. */
export interface MotionCoreOptions {
  /** Most tokens per model call (offline throughput vs memory). Default 128. */
  maxTokensPerRun?: number;
}

/**
 * The model-level streaming core: log-mel frames in (any chunking), raw model outputs per
 * video frame out (MOTION_OUTPUTS order). Keeps the attention cache and the last 7 mel frames
 * between calls, so any chunking gives the same rows as one call (up to float rounding of
 * onnxruntime's batched vs single-token kernels).
 *
 * Frame `t` (instant t × 40 ms) is emitted once mel frame 4t + 8 (t × 40 ms + 80 ms) is in:
 * 80 ms of look-ahead. `flush()` pads with digital silence to emit the last frames.
 */
export class MotionCore {
  readonly #model: MotionModel;
  readonly #runner: OnnxRunner;
  readonly #maxTokens: number;
  readonly #delay: number;
  /** Mel frames a future token may still need; `#mel[0]` is absolute mel frame `#melStart`. */
  #mel = new Float32Array(0);
  #melStart = 0;
  #melReceived = 0;
  #nextToken = 0;
  #stepMs = { count: 0, total: 0, max: 0 };
  #closed = false;

  constructor(model: MotionModel, options: MotionCoreOptions = {}) {
    if (model.closed) throw new MotionError('MOTION_CLOSED', 'the motion model is closed');
    this.#model = model;
    this.#maxTokens = options.maxTokensPerRun ?? 128;
    this.#delay = model.delayFrames;
    const [layers, heads, window, dHead] = model.cacheShape;
    const cache = [layers, heads, window, dHead];
    this.#runner = model.session.createRunner({
      inputs: {
        tokens: { type: 'float32', shape: [1, this.#maxTokens, MEL_FRAMES_PER_TOKEN, BANDS] },
        k_cache: { type: 'float32', shape: cache },
        v_cache: { type: 'float32', shape: cache },
        valid: { type: 'float32', shape: [window] },
      },
      outputs: {
        controls: { type: 'float32', shape: [1, this.#maxTokens, MOTION_OUTPUT_COUNT] },
        k_cache_out: { type: 'float32', shape: cache },
        v_cache_out: { type: 'float32', shape: cache },
        valid_out: { type: 'float32', shape: [window] },
      },
    });
    this.reset();
  }

  /** Video frames emitted so far (the index of the next frame). */
  get framesEmitted(): number {
    return Math.max(0, this.#nextToken - this.#delay);
  }

  /** Mel frames received since the last reset. */
  get melFramesReceived(): number {
    return this.#melReceived;
  }

  /** Feeds log-mel frames (frame-major, 80 bands); returns the rows of every frame now complete. */
  async process(mel: Float32Array, options: { signal?: AbortSignal } = {}): Promise<MotionRows> {
    this.#check(mel);
    this.#append(mel);
    this.#melReceived += mel.length / BANDS;
    // Token k needs mel frames up to 4k.
    const ready = Math.floor((this.#melReceived - 1) / MEL_HOP_PER_FRAME) + 1;
    return this.#run(ready, options.signal);
  }

  /**
   * Ends the stream: emits the frames still owed (every frame whose instant is within the
   * received mel), padding with silence, then resets for reuse.
   */
  async flush(options: { signal?: AbortSignal } = {}): Promise<MotionRows> {
    const frames =
      this.#melReceived === 0 ? 0 : Math.floor((this.#melReceived - 1) / MEL_HOP_PER_FRAME) + 1;
    const tokensNeeded = frames === 0 ? 0 : frames + this.#delay;
    const rows = await this.#run(tokensNeeded, options.signal, true);
    this.reset();
    return rows;
  }

  /** Forgets all audio context (attention cache, mel history); the next frame is frame 0. */
  reset(): void {
    this.#mel = new Float32Array(0);
    this.#melStart = 0;
    this.#melReceived = 0;
    this.#nextToken = 0;
    (this.#runner.input('k_cache') as Float32Array).fill(0);
    (this.#runner.input('v_cache') as Float32Array).fill(0);
    (this.#runner.input('valid') as Float32Array).fill(0);
  }

  close(): void {
    this.#closed = true;
  }

  toJSON() {
    return {
      framesEmitted: this.framesEmitted,
      melFramesReceived: this.#melReceived,
      bufferedMelFrames: this.#mel.length / BANDS,
      modelRuns: this.#stepMs.count,
      meanRunMs: this.#stepMs.count ? this.#stepMs.total / this.#stepMs.count : 0,
      maxRunMs: this.#stepMs.max,
      lookaheadMs: this.#delay * 40,
    };
  }

  #check(mel: Float32Array): void {
    if (this.#closed || this.#model.closed)
      throw new MotionError('MOTION_CLOSED', 'the motion stream is closed');
    if (mel.length % BANDS !== 0)
      throw new MotionError(
        'MOTION_BAD_INPUT',
        `mel data length ${mel.length} is not a multiple of ${BANDS} bands`,
      );
  }

  #append(mel: Float32Array): void {
    const merged = new Float32Array(this.#mel.length + mel.length);
    merged.set(this.#mel, 0);
    merged.set(mel, this.#mel.length);
    this.#mel = merged;
  }

  /** Drops the mel frames no future token needs (token k reads frames 4k - 7 … 4k). */
  #trim(): void {
    const keepFrom = Math.max(
      this.#melStart,
      MEL_HOP_PER_FRAME * this.#nextToken - (MEL_FRAMES_PER_TOKEN - 1),
    );
    if (keepFrom === this.#melStart) return;
    this.#mel = this.#mel.slice((keepFrom - this.#melStart) * BANDS);
    this.#melStart = keepFrom;
  }

  /** Runs tokens `#nextToken … untilToken - 1`, returning the rows of the frames they complete. */
  async #run(
    untilToken: number,
    signal: AbortSignal | undefined,
    pad = false,
  ): Promise<MotionRows> {
    const total = Math.max(0, untilToken - this.#nextToken);
    const firstFrame = this.framesEmitted;
    const skipped = Math.max(0, this.#delay - this.#nextToken);
    const out = new Float32Array(
      Math.max(0, total - Math.min(skipped, total)) * MOTION_OUTPUT_COUNT,
    );
    let written = 0;
    let skip = Math.min(skipped, total);
    const runner = this.#runner;
    const tokens = runner.input('tokens') as Float32Array;
    const controls = runner.output('controls') as Float32Array;
    for (let done = 0; done < total; ) {
      const n = Math.min(this.#maxTokens, total - done);
      for (let i = 0; i < n; i++) this.#fillToken(this.#nextToken + i, tokens, i, pad);
      const started = performance.now();
      await runner.run({
        dims: {
          tokens: [1, n, MEL_FRAMES_PER_TOKEN, BANDS],
          controls: [1, n, MOTION_OUTPUT_COUNT],
        },
        signal,
      });
      const ms = performance.now() - started;
      this.#stepMs.count++;
      this.#stepMs.total += ms;
      this.#stepMs.max = Math.max(this.#stepMs.max, ms);
      (runner.input('k_cache') as Float32Array).set(runner.output('k_cache_out') as Float32Array);
      (runner.input('v_cache') as Float32Array).set(runner.output('v_cache_out') as Float32Array);
      (runner.input('valid') as Float32Array).set(runner.output('valid_out') as Float32Array);
      const drop = Math.min(skip, n);
      skip -= drop;
      out.set(controls.subarray(drop * MOTION_OUTPUT_COUNT, n * MOTION_OUTPUT_COUNT), written);
      written += (n - drop) * MOTION_OUTPUT_COUNT;
      this.#nextToken += n;
      done += n;
    }
    this.#trim();
    return { data: out, firstFrame, frames: out.length / MOTION_OUTPUT_COUNT };
  }

  /** Writes token `k` (mel frames 4k-7 … 4k; silence outside the received audio) at slot `i`. */
  #fillToken(k: number, tokens: Float32Array, i: number, pad: boolean): void {
    const first = MEL_HOP_PER_FRAME * k - (MEL_FRAMES_PER_TOKEN - 1);
    const base = i * MEL_FRAMES_PER_TOKEN * BANDS;
    for (let f = 0; f < MEL_FRAMES_PER_TOKEN; f++) {
      const abs = first + f;
      const offset = base + f * BANDS;
      if (abs < 0 || abs >= this.#melReceived) {
        if (abs >= this.#melReceived && !pad)
          throw new MotionError('MOTION_BAD_INPUT', 'internal: token needs mel not yet received');
        tokens.fill(MEL_SILENCE, offset, offset + BANDS);
      } else {
        const src = (abs - this.#melStart) * BANDS;
        tokens.set(this.#mel.subarray(src, src + BANDS), offset);
      }
    }
  }
}
