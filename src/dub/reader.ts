import { throwIfAborted } from '../core/index.ts';
import { openVideoFrames, type VideoFrame } from '../media/index.ts';

/** Options for {@link SourceFrameReader}. */
export interface SourceFrameReaderOptions {
  /** Memory for frames read backwards (ping-pong), bytes. Default 96 MiB (at least one frame). */
  chunkBytes?: number;
  signal?: AbortSignal;
}

/**
 * Full-resolution source frames by index, for the second pass. Forward reads stream from one
 * ffmpeg decode (a loop restarts it); backward reads (ping-pong) decode a chunk of frames
 * ending at the one asked for — selected by frame number, so exactly the frames the first
 * pass tracked — and serve it from memory, `chunkBytes` at most. Re-reading the current frame
 * (a held or repeated frame) costs nothing.
 */
export class SourceFrameReader {
  readonly #path: string;
  readonly #chunkFrames: number;
  readonly #signal: AbortSignal | undefined;
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
  }

  /** Frame `index`'s RGB (valid until the reader moves on; copy what you keep). */
  async get(index: number, direction: 'forward' | 'backward'): Promise<Uint8Array> {
    throwIfAborted(this.#signal);
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
