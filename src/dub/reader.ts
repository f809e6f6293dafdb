import { throwIfAborted } from '../core/index.ts';
import { openVideoFrames, type VideoFrame } from '../media/index.ts';

/** Options for {@link SourceFrameReader}. */
export interface SourceFrameReaderOptions {
  /** Memory for frames read backwards (ping-pong), bytes. Default 96 MiB (at least one frame). */
  chunkBytes?: number;
  /** Every source frame already decoded at full size (the tracking pass's): served, never decoded. */
  frames?: readonly Uint8Array[];
  signal?: AbortSignal;
}

/**
 * Full-resolution source frames by index, for the second pass. Forward reads stream from one
 * ffmpeg decode (a loop restarts it); backward reads (ping-pong) decode a chunk of frames
 * ending at the one asked for — selected by frame number, so exactly the frames the first
 * pass tracked — and serve it from memory, `chunkBytes` at most. Re-reading the current frame
 * (a held or repeated frame) costs nothing. Given the tracking pass's frames (a source no
 * larger than the tracking size), it serves those and decodes nothing.
 */
export class SourceFrameReader {
  readonly #path: string;
  readonly #chunkFrames: number;
  readonly #signal: AbortSignal | undefined;
  readonly #frames: readonly Uint8Array[] | undefined;
  #forward: AsyncIterator<VideoFrame> | undefined;
  #current: VideoFrame | undefined;
  #chunk: { first: number; frames: Uint8Array[] } | undefined;
  /** Frames decoded in all (for the bench: ping-pong re-decodes). */
  decodedFrames = 0;

  constructor(path: string, frameBytes: number, options: SourceFrameReaderOptions = {}) {
    this.#path = path;
    this.#chunkFrames = Math.max(
      1,
      Math.floor((options.chunkBytes ?? 96 * 1024 ** 2) / frameBytes),
    );
    this.#signal = options.signal;
    this.#frames = options.frames;
  }

  /** Frame `index`'s RGB (valid until the reader moves on; copy what you keep). */
  async get(index: number, direction: 'forward' | 'backward'): Promise<Uint8Array> {
    throwIfAborted(this.#signal);
    const kept = this.#frames?.[index];
    if (kept) return kept;
    if (this.#current?.frameIndex === index) return this.#current.rgb;
    const chunk = this.#chunk;
    if (chunk && index >= chunk.first && index < chunk.first + chunk.frames.length) {
      return chunk.frames[index - chunk.first] as Uint8Array;
    }
    if (direction === 'backward') return this.#readChunk(index);
    if (!this.#forward || !this.#current || this.#current.frameIndex > index) await this.#restart();
    for (;;) {
      const next = await (this.#forward as AsyncIterator<VideoFrame>).next();
      if (next.done) {
        throw new RangeError(`source frame ${index} is past the end of ${this.#path}`);
      }
      this.decodedFrames++;
      this.#current = next.value;
      if (next.value.frameIndex === index) return next.value.rgb;
    }
  }

  /** Stops any decode. Idempotent. */
  async close(): Promise<void> {
    const forward = this.#forward;
    this.#forward = undefined;
    this.#current = undefined;
    this.#chunk = undefined;
    await forward?.return?.();
  }

  async #restart(): Promise<void> {
    await this.#forward?.return?.();
    this.#current = undefined;
    const frames = await openVideoFrames(this.#path, { fps: 'source', signal: this.#signal });
    this.#forward = frames[Symbol.asyncIterator]();
  }

  async #readChunk(last: number): Promise<Uint8Array> {
    const first = Math.max(0, last - this.#chunkFrames + 1);
    this.#chunk = undefined;
    const frames: Uint8Array[] = [];
    const video = await openVideoFrames(this.#path, {
      fps: 'source',
      select: { first, count: last - first + 1 },
      signal: this.#signal,
    });
    for await (const frame of video) {
      this.decodedFrames++;
      frames.push(frame.rgb);
    }
    if (frames.length !== last - first + 1) {
      throw new RangeError(`could not read source frames ${first}…${last} of ${this.#path}`);
    }
    this.#chunk = { first, frames };
    return frames[frames.length - 1] as Uint8Array;
  }
}

/**
 * Collects the tracking pass's decoded frames for the render pass ({@link SourceFrameReader}'s
 * `frames`) while they are full size, in order and within `maxBytes` in all; otherwise it
 * lets them all go (the render pass decodes again).
 */
export class FrameKeeper {
  readonly #width: number;
  readonly #height: number;
  readonly #maxBytes: number;
  #frames: Uint8Array[] | undefined = [];
  #bytes = 0;

  constructor(width: number, height: number, maxBytes: number) {
    this.#width = width;
    this.#height = height;
    this.#maxBytes = maxBytes;
  }

  add(frame: VideoFrame): void {
    const frames = this.#frames;
    if (!frames) return;
    const fits =
      frame.width === this.#width &&
      frame.height === this.#height &&
      frame.frameIndex === frames.length &&
      this.#bytes + frame.rgb.byteLength <= this.#maxBytes;
    if (!fits) {
      this.#frames = undefined;
      return;
    }
    frames.push(frame.rgb);
    this.#bytes += frame.rgb.byteLength;
  }

  /** Every frame so far, or undefined when they could not all be kept. */
  get frames(): readonly Uint8Array[] | undefined {
    return this.#frames;
  }

  /** Lets the frames go. */
  clear(): void {
    this.#frames = undefined;
  }
}
