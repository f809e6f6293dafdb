import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { throwIfAborted } from '../core/index.ts';
import { locateFfmpeg } from '../media/index.ts';
import { TransportError } from './errors.ts';
import { IvfParser } from './ivf.ts';
import { isVp8Keyframe } from './vp8-payloader.ts';

/** Options of {@link Vp8Encoder}. */
export interface Vp8EncoderOptions {
  /** Frame width in pixels (even). Required. */
  width: number;
  /** Frame height in pixels (even). Required. */
  height: number;
  /** Nominal frame rate, frames per second. Default 25. */
  fps?: number;
  /** Target bitrate in kbit/s. Default 1200. */
  bitrateKbps?: number;
  /** Frames between key frames. Default 25 (1 s at 25 fps): a PLI cannot reach ffmpeg, so a lost key frame heals within this many frames. */
  keyframeInterval?: number;
  /** Frames allowed inside the encoder at once; a frame offered beyond this is refused (the caller drops it). Default 2. */
  maxInFlight?: number;
  /** ffmpeg binary. Default: `locateFfmpeg()`. */
  ffmpegPath?: string;
  /**
   * Encode one grey frame at start and drop its output, so libvpx is initialised before the
   * first real frame, which is then forced to be a key frame (`-force_key_frames`): a spare
   * encoder kept for key frames on request. {@link Vp8Encoder.warm} resolves when done.
   * Default false.
   */
  warmUp?: boolean;
}

/** One encoded VP8 frame, tagged with the caller's frame index. */
export interface EncodedVideoFrame {
  frameIndex: number;
  data: Uint8Array;
  keyframe: boolean;
  /** Wall time from `encode()` to the frame leaving ffmpeg, ms. */
  encodeMs: number;
}

export type Vp8EncoderEvents = {
  frame: [EncodedVideoFrame];
  error: [TransportError];
  close: [];
};

const DEFAULTS = Object.freeze({
  fps: 25,
  bitrateKbps: 1200,
  keyframeInterval: 25,
  maxInFlight: 2,
});

/**
 * Realtime VP8 encoder: raw RGB24 frames in on ffmpeg's stdin, IVF out on its stdout
 * (libvpx `-deadline realtime -cpu-used 8 -lag-in-frames 0 -error-resilient 1`, no frame
 * reordering, one output frame per input frame). Frame buffers come from a small pool, so a
 * late encoder makes `encode()` return false instead of growing a queue.
 *
 * @example
 * const encoder = await Vp8Encoder.start({ width: 512, height: 512 });
 * encoder.on('frame', (f) => send(f));
 * encoder.encode(rgb, frameIndex); // false: dropped, the encoder is still busy
 * await encoder.close();
 */
export class Vp8Encoder extends EventEmitter<Vp8EncoderEvents> {
  readonly width: number;
  readonly height: number;
  readonly frameBytes: number;
  readonly #options: Required<Omit<Vp8EncoderOptions, 'ffmpegPath' | 'warmUp'>>;
  /** Resolves once the warm-up frame came out (at once without a warm-up). */
  readonly warm: Promise<void>;
  #warming: (() => void) | undefined;
  readonly #process: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #parser = new IvfParser();
  readonly #free: Buffer[] = [];
  readonly #inFlight: { frameIndex: number; startedAt: number }[] = [];
  #stderrTail = '';
  #closed = false;
  #exited: Promise<void>;
  #accepted = 0;
  #refused = 0;
  #encoded = 0;
  #keyframes = 0;
  #bytes = 0;

  private constructor(
    options: Required<Omit<Vp8EncoderOptions, 'ffmpegPath' | 'warmUp'>>,
    child: ChildProcessByStdio<Writable, Readable, Readable>,
    warmUp: boolean,
  ) {
    super();
    this.#options = options;
    this.width = options.width;
    this.height = options.height;
    this.frameBytes = options.width * options.height * 3;
    for (let i = 0; i <= options.maxInFlight; i++) this.#free.push(Buffer.alloc(this.frameBytes));
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.#stderrTail = (this.#stderrTail + text).slice(-2000);
    });
    child.stdin.on('error', () => {}); // EPIPE when ffmpeg died: reported by 'close' below
    this.warm = new Promise((resolve) => {
      this.#warming = warmUp ? resolve : undefined;
      if (warmUp) child.stdin.write(Buffer.alloc(this.frameBytes, 128));
      else resolve();
    });
    child.once('close', (code, signal) => {
      if (!this.#closed) {
        this.#fail(
          `ffmpeg exited (${signal ?? code}) mid-stream: ${this.#stderrTail.trim().split('\n').slice(-2).join(' | ')}`,
        );
      }
    });
  }

  /** Spawns ffmpeg; resolves once the process is running. */
  static async start(
    options: Vp8EncoderOptions,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<Vp8Encoder> {
    throwIfAborted(signal);
    const merged = { ...DEFAULTS, ...options };
    const { ffmpegPath = locateFfmpeg().ffmpegPath, warmUp = false, ...rest } = merged;
    if (rest.width % 2 !== 0 || rest.height % 2 !== 0 || rest.width <= 0 || rest.height <= 0) {
      throw new RangeError(
        `frame size must be positive and even, got ${rest.width}×${rest.height}`,
      );
    }
    const child = spawn(ffmpegPath, ffmpegArgs(rest, warmUp), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (cause) =>
        reject(new TransportError('TRANSPORT_ENCODER_FAILED', 'could not start ffmpeg', { cause })),
      );
    });
    const encoder = new Vp8Encoder(rest, child, warmUp);
    if (signal) {
      const onAbort = () => void encoder.close();
      signal.addEventListener('abort', onAbort, { once: true });
      encoder.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return encoder;
  }

  /** OS process id of the ffmpeg child (for resource checks). */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frames handed to ffmpeg and not yet out of it. */
  get inFlight(): number {
    return this.#inFlight.length;
  }

  /**
   * Offers one RGB24 frame (`width * height * 3` bytes; copied, so the caller may reuse its
   * buffer). Returns false, and counts a refusal, when `maxInFlight` frames are still inside
   * the encoder or it is closed.
   */
  encode(rgb: Uint8Array, frameIndex: number): boolean {
    if (rgb.length !== this.frameBytes) {
      throw new RangeError(`frame must be ${this.frameBytes} bytes, got ${rgb.length}`);
    }
    const buffer = this.#free.pop();
    if (this.#closed || !buffer || this.#inFlight.length >= this.#options.maxInFlight) {
      if (buffer) this.#free.push(buffer);
      this.#refused++;
      return false;
    }
    buffer.set(rgb);
    this.#inFlight.push({ frameIndex, startedAt: performance.now() });
    this.#accepted++;
    this.#process.stdin.write(buffer, () => this.#free.push(buffer));
    return true;
  }

  /** Ends the stream and stops ffmpeg (SIGKILL if it has not exited within 1 s). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return this.#exited;
    this.#closed = true;
    this.#warming?.();
    this.#warming = undefined;
    this.#process.stdin.destroy();
    this.#process.stdout.destroy();
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      this.#process.kill('SIGTERM');
      const timer = setTimeout(() => this.#process.kill('SIGKILL'), 1000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.emit('close');
  }

  toJSON(): {
    accepted: number;
    refused: number;
    encoded: number;
    keyframes: number;
    bytes: number;
    inFlight: number;
  } {
    return {
      accepted: this.#accepted,
      refused: this.#refused,
      encoded: this.#encoded,
      keyframes: this.#keyframes,
      bytes: this.#bytes,
      inFlight: this.#inFlight.length,
    };
  }

  #onData(chunk: Buffer): void {
    let frames: ReturnType<IvfParser['process']>;
    try {
      frames = this.#parser.process(chunk);
    } catch (error) {
      this.#fail((error as Error).message);
      return;
    }
    const now = performance.now();
    for (const frame of frames) {
      if (this.#warming) {
        this.#warming(); // the warm-up frame: not the caller's
        this.#warming = undefined;
        continue;
      }
      const source = this.#inFlight.shift();
      if (!source) continue; // cannot happen with -fps_mode passthrough; never invent an index
      const keyframe = isVp8Keyframe(frame.data);
      this.#encoded++;
      if (keyframe) this.#keyframes++;
      this.#bytes += frame.data.length;
      this.emit('frame', {
        frameIndex: source.frameIndex,
        data: frame.data,
        keyframe,
        encodeMs: now - source.startedAt,
      });
    }
  }

  #fail(message: string): void {
    if (this.#closed) return;
    const error = new TransportError('TRANSPORT_ENCODER_FAILED', message);
    void this.close();
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

function ffmpegArgs(
  o: Required<Omit<Vp8EncoderOptions, 'ffmpegPath' | 'warmUp'>>,
  warmUp: boolean,
): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`],
    ...['-framerate', String(o.fps), '-i', 'pipe:0'],
    ...['-an', '-vsync', 'passthrough', '-pix_fmt', 'yuv420p', '-c:v', 'libvpx'],
    ...['-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-error-resilient', '1'],
    ...['-g', String(o.keyframeInterval), '-keyint_min', String(o.keyframeInterval)],
    // After a warm-up frame (n = 0), the first real frame is a key frame.
    ...(warmUp ? ['-force_key_frames', 'expr:eq(n,1)'] : []),
    ...[
      '-b:v',
      `${o.bitrateKbps}k`,
      '-maxrate',
      `${o.bitrateKbps}k`,
      '-bufsize',
      `${o.bitrateKbps}k`,
    ],
    ...['-qmin', '4', '-qmax', '50', '-threads', '1', '-static-thresh', '0'],
    ...['-flush_packets', '1', '-f', 'ivf', 'pipe:1'],
  ];
}
