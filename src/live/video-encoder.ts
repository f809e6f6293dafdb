import { EventEmitter } from 'node:events';
import {
  type EncodedVideoFrame,
  type TransportError,
  Vp8Encoder,
  type Vp8EncoderEvents,
  type Vp8EncoderOptions,
} from '../transport/index.ts';

/** A replaced encoder that has not returned its frames by then is closed anyway, ms. */
const RETIRE_TIMEOUT_MS = 1000;

/** Options of {@link LiveVideoEncoder}. */
export interface LiveVideoEncoderOptions extends Vp8EncoderOptions {
  /**
   * Least time between two key frames made on request, ms; requests in between are merged
   * into one at the end of the interval. Default 500.
   */
  minKeyframeIntervalMs?: number;
}

/**
 * The session's VP8 encoder, with key frames on request (a viewer joining, a PLI).
 *
 * ffmpeg's command line cannot be told to make a key frame once it runs; so a key frame on
 * request is a switch to a fresh encoder. One spare ffmpeg is kept started and warmed up
 * (it has encoded one grey frame, output dropped, so libvpx is initialised; its next frame is
 * forced to be a key frame: `Vp8Encoder`'s `warmUp`), so its key frame costs about a normal
 * encode instead of a cold start (50–220 ms measured). The encoder it replaces finishes the
 * frames it holds, which leave first (frames leave in order), and is closed; a new spare is
 * started. Frames in flight over both
 * are bounded by `maxInFlight`, as for one {@link Vp8Encoder}.
 *
 * @example
 * const encoder = await LiveVideoEncoder.start({ width: 512, height: 512 });
 * encoder.on('frame', send);
 * encoder.requestKeyframe(); // a viewer joined
 */
export class LiveVideoEncoder extends EventEmitter<Vp8EncoderEvents> {
  readonly #options: LiveVideoEncoderOptions;
  readonly #maxInFlight: number;
  readonly #minIntervalMs: number;
  #current: Vp8Encoder;
  #spare: Promise<Vp8Encoder | undefined> | undefined;
  #retiring: Vp8Encoder | undefined;
  /** Frames of the current encoder waiting for the retiring one's to leave first. */
  #held: EncodedVideoFrame[] = [];
  #lastSwitchAt = Number.NEGATIVE_INFINITY;
  #pending: NodeJS.Timeout | undefined;
  #closed = false;
  #requests = 0;
  #switches = 0;
  #refused = 0;
  #totals = { accepted: 0, encoded: 0, keyframes: 0, bytes: 0 };

  private constructor(first: Vp8Encoder, options: LiveVideoEncoderOptions) {
    super();
    this.#options = options;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#minIntervalMs = options.minKeyframeIntervalMs ?? 500;
    this.#current = first;
    this.#adopt(first);
    this.#startSpare();
  }

  static async start(
    options: LiveVideoEncoderOptions,
    context: { signal?: AbortSignal } = {},
  ): Promise<LiveVideoEncoder> {
    // Warmed like the spare: libvpx's start-up and first encode happen while the viewer is
    // still connecting, not on the session's first frame.
    const first = await Vp8Encoder.start({ ...encoderOptions(options), warmUp: true }, context);
    return new LiveVideoEncoder(first, options);
  }

  /** The ffmpeg process encoding now. */
  get pid(): number | undefined {
    return this.#current.pid;
  }

  /** Frames inside the encoders. */
  get inFlight(): number {
    return this.#current.inFlight + (this.#retiring?.inFlight ?? 0);
  }

  /** Offers one RGB24 frame; false when `maxInFlight` frames are inside (the frame is dropped). */
  encode(rgb: Uint8Array, frameIndex: number): boolean {
    if (this.#closed || this.inFlight >= this.#maxInFlight) {
      this.#refused++;
      return false;
    }
    return this.#current.encode(rgb, frameIndex);
  }

  /**
   * Asks for a key frame: the next frame is encoded by a fresh encoder (at once, or at the
   * end of `minKeyframeIntervalMs` after the last switch; requests meanwhile are merged).
   */
  requestKeyframe(): void {
    this.#requests++;
    if (this.#closed || this.#pending) return;
    const wait = this.#lastSwitchAt + this.#minIntervalMs - performance.now();
    this.#pending = setTimeout(
      () => {
        this.#pending = undefined;
        void this.#switch();
      },
      Math.max(0, wait),
    );
  }

  /** Stops every ffmpeg this encoder runs. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#pending);
    const spare = this.#spare;
    const retiring = this.#retiring;
    this.#spare = undefined;
    this.#retiring = undefined;
    this.#held = [];
    await Promise.all([this.#current.close(), retiring?.close(), spare?.then((e) => e?.close())]);
    this.emit('close');
  }

  toJSON() {
    const current = this.#current.toJSON();
    return {
      accepted: this.#totals.accepted + current.accepted,
      refused: this.#refused + current.refused,
      encoded: this.#totals.encoded + current.encoded,
      keyframes: this.#totals.keyframes + current.keyframes,
      bytes: this.#totals.bytes + current.bytes,
      inFlight: this.inFlight,
      keyframeRequests: this.#requests,
      /** Switches to a fresh encoder (key frames made on request). */
      keyframeSwitches: this.#switches,
    };
  }

  /** Feeds the next frames to the spare; the current one finishes what it holds, then closes. */
  async #switch(): Promise<void> {
    const next = await this.#spare;
    await next?.warm;
    this.#spare = undefined;
    if (this.#closed || !next || next.closed) {
      await next?.close();
      if (!this.#closed) this.#startSpare();
      return;
    }
    if (this.#retiring) await this.#retire(this.#retiring); // a switch still draining: end it
    const old = this.#current;
    this.#current = next;
    this.#adopt(next);
    this.#lastSwitchAt = performance.now();
    this.#switches++;
    this.#retiring = old;
    if (old.inFlight === 0) await this.#retire(old);
    // An encoder that never returns its frames must not hold the new one's back.
    else setTimeout(() => void this.#retire(old), RETIRE_TIMEOUT_MS).unref();
  }

  #adopt(encoder: Vp8Encoder): void {
    encoder.on('frame', (frame) => {
      if (encoder === this.#current && this.#retiring) this.#held.push(frame);
      else this.emit('frame', frame);
      if (encoder === this.#retiring && encoder.inFlight === 0) void this.#retire(encoder);
    });
    encoder.on('error', (error: TransportError) => {
      if (encoder === this.#current && this.listenerCount('error') > 0) this.emit('error', error);
      else if (encoder === this.#retiring) void this.#retire(encoder);
    });
  }

  /** Closes a replaced encoder, lets the frames held behind it go, and starts a new spare. */
  async #retire(encoder: Vp8Encoder): Promise<void> {
    if (this.#retiring !== encoder) return;
    this.#retiring = undefined;
    const stats = encoder.toJSON();
    this.#totals.accepted += stats.accepted;
    this.#totals.encoded += stats.encoded;
    this.#totals.keyframes += stats.keyframes;
    this.#totals.bytes += stats.bytes;
    this.#refused += stats.refused;
    const held = this.#held;
    this.#held = [];
    for (const frame of held) this.emit('frame', frame);
    await encoder.close();
    if (!this.#closed) this.#startSpare();
  }

  #startSpare(): void {
    if (this.#spare) return;
    const options = { ...encoderOptions(this.#options), warmUp: true };
    this.#spare = Vp8Encoder.start(options).catch((error: unknown) => {
      console.error('live: could not start a spare VP8 encoder:', (error as Error).message);
      return undefined;
    });
  }
}

function encoderOptions(options: LiveVideoEncoderOptions): Vp8EncoderOptions {
  const { minKeyframeIntervalMs: _, ...rest } = options;
  return rest;
}
