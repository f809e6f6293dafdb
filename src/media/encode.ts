import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { AbortedError, throwIfAborted } from '../core/index.ts';
import {
  type AudioAlongside,
  type Encoding,
  MP4_AUDIO_SAMPLE_RATE,
  startAudioMux,
  startVideoEncoding,
} from './encode-ffmpeg.ts';
import { MediaError } from './errors.ts';
import { locateFfmpeg } from './locate.ts';
import { probeMedia } from './probe.ts';

const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
] as const;

/**
 * x264 settings for camera footage (video-avatar renders), to pass as `x264Params`: no P
 * sub-partitions and subme 1 over `veryfast`. Decided by `npm run bench -- encode` on three
 * training talking-head clips at 512², one thread, against a bar fixed in advance (≥ 20 % less
 * ffmpeg CPU, ≤ 0.15 dB, ≤ 8 % size): CPU −33…−44 %, PSNR −0.08…+0.11 dB, files +4…+7.4 %;
 * the held-out clips agree (−30…−36 %, ≤ 0.10 dB, ≤ 5.5 %). Not the default: on a rendered
 * photo avatar it costs 0.64 dB and 15 % size. Dubbing keeps the default (its lip-sync
 * measure on the encoded MP4 moved: held-out german 0.546 → 0.526).
 */
export const X264_FOOTAGE_PARAMS = 'partitions=i8x8,i4x4:subme=1';

/** `key=value[:key=value…]`, values plain words, numbers or comma lists (one argv element). */
const X264_PARAMS = /^[a-z0-9-]+=[A-Za-z0-9.,+-]+(:[a-z0-9-]+=[A-Za-z0-9.,+-]+)*$/;

const evenSide = z
  .number()
  .int()
  .min(16)
  .max(8192)
  .refine((v) => v % 2 === 0, { message: 'must be even (H.264 yuv420p needs even sides)' });

/** Validated options of {@link Mp4Writer.open} (every field but the frame size has a default). */
export const mp4WriterOptionsSchema = z
  .object({
    /** Frame width in pixels, even. */
    width: evenSide,
    /** Frame height in pixels, even. */
    height: evenSide,
    /** Frames per second. Default 25 (the Controls rate). */
    fps: z.number().positive().max(240).default(25),
    /** An audio (or video-with-audio) file to mux as AAC, padded or cut to the video's length. */
    audioPath: z.string().min(1).optional(),
    /** x264 constant rate factor (0 lossless … 51 worst). Default 18 (visually clean). */
    crf: z.number().int().min(0).max(51).default(18),
    /** x264 speed preset. Default `veryfast`. */
    preset: z.enum(X264_PRESETS).default('veryfast'),
    /** AAC bit rate in kb/s. Default 128. */
    audioBitrateKbps: z.number().int().min(32).max(512).default(128),
    /**
     * The frames the caller expects to write. With `audioPath`, the audio is then encoded in
     * the same ffmpeg run as the video, cut or padded to that many frames' length, so
     * `finish()` only waits for x264; if a different number of frames was written, `finish()`
     * muxes the audio again to the real length (what it always does without this).
     */
    expectedFrames: z.number().int().min(1).max(10_000_000).optional(),
    /** Frames buffered towards ffmpeg before `writeFrame` waits (the memory bound). Default 3. */
    queueFrames: z.number().int().min(1).max(64).default(3),
    /** x264 threads; 0 lets x264 choose. Default 0. */
    threads: z.number().int().min(0).max(64).default(0),
    /**
     * x264 settings applied over the preset (`-x264-params`, `key=value` pairs joined by `:`),
     * e.g. `subme=1:me=dia`. Default none: the preset as it is.
     */
    x264Params: z
      .string()
      .regex(X264_PARAMS, 'x264 settings as key=value pairs joined by ":"')
      .optional(),
  })
  .strict();

export type Mp4WriterOptions = z.input<typeof mp4WriterOptionsSchema> & {
  /** Aborting kills ffmpeg and removes every partial file (like {@link Mp4Writer.close}). */
  signal?: AbortSignal;
};
type ResolvedOptions = z.output<typeof mp4WriterOptionsSchema>;

/** What {@link Mp4Writer.finish} wrote. */
export interface Mp4Summary {
  path: string;
  frames: number;
  /** Exactly `frames / fps` seconds, in ms; the audio track (if any) is cut or padded to it. */
  durationMs: number;
  hasAudio: boolean;
}

export { MP4_AUDIO_SAMPLE_RATE };

/**
 * Streams RGB frames into an H.264 MP4 (yuv420p, BT.709, +faststart), optionally muxing an
 * audio file as AAC cut or padded to exactly the video's length.
 *
 * Memory is bounded: each frame is copied (callers may reuse their buffer at once) into one
 * of a few pooled buffers written to ffmpeg's stdin (a buffer is reused once the pipe has
 * taken it: no allocation, hence no garbage, per frame), at most `queueFrames` frames are
 * queued, and `writeFrame` waits while the queue is full. Nothing appears at `path` until `finish()` succeeds: frames go to a hidden temporary
 * file next to it, renamed at the end. `close()` (or the signal) kills ffmpeg and removes
 * every partial file.
 *
 * With audio and `expectedFrames`, one ffmpeg run encodes both, the audio cut or padded to
 * the expected length; `finish()` keeps that file when exactly that many frames came. Otherwise
 * (no `expectedFrames`, or another count) the audio is muxed by a second, short ffmpeg run
 * after the last frame (video stream copied), at the length the frames give.
 *
 * @example
 * const writer = await Mp4Writer.open('out.mp4', { width: 512, height: 512, audioPath: 'speech.wav' });
 * for (const frame of frames) await writer.writeFrame(frame); // RGB, 512·512·3 bytes
 * const { durationMs } = await writer.finish();
 */
export class Mp4Writer {
  readonly path: string;
  readonly options: Readonly<ResolvedOptions>;
  /** Bytes of one RGB frame: width · height · 3. */
  readonly frameBytes: number;
  #frames = 0;
  #state: 'open' | 'finishing' | 'done' | 'closed' = 'open';
  /** Frame buffers the pipe has taken, free for the next frames. */
  readonly #pool: Buffer[] = [];
  /** Frames handed to ffmpeg's stdin and not yet taken by the pipe, oldest first. */
  readonly #writes: Promise<void>[] = [];
  #encoding: Encoding;
  #failure: Error | undefined;
  readonly #videoPath: string;
  readonly #partPath: string;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => void this.close().catch(() => {});
  #closing: Promise<void> | undefined;

  private constructor(path: string, options: ResolvedOptions, signal: AbortSignal | undefined) {
    this.path = path;
    this.options = Object.freeze({ ...options });
    this.frameBytes = options.width * options.height * 3;
    const stem = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}`);
    this.#partPath = `${stem}.part.mp4`;
    this.#videoPath = options.audioPath === undefined ? this.#partPath : `${stem}.video.mp4`;
    this.#signal = signal;
    this.#encoding = startVideoEncoding(this.#videoPath, options, audioAlongside(options));
    this.#encoding.exited.catch((error: Error) => {
      this.#failure = error;
    });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Validates the options (and the audio file, if any) and starts ffmpeg.
   * Throws `MediaError` ENCODE_BAD_OPTIONS, MEDIA_NOT_FOUND, MEDIA_UNREADABLE, FFMPEG_NOT_FOUND.
   */
  static async open(path: string, options: Mp4WriterOptions): Promise<Mp4Writer> {
    const { signal, ...rest } = options;
    throwIfAborted(signal);
    const parsed = mp4WriterOptionsSchema.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MediaError(
        'ENCODE_BAD_OPTIONS',
        `invalid encoder option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
        { cause: parsed.error },
      );
    }
    const absolute = resolve(path);
    const folder = await stat(dirname(absolute)).catch(() => undefined);
    if (!folder?.isDirectory()) {
      throw new MediaError('ENCODE_BAD_OPTIONS', `output folder does not exist: ${dirname(path)}`);
    }
    const resolved = parsed.data;
    if (resolved.audioPath !== undefined) {
      const info = await probeMedia(resolved.audioPath, { signal });
      if (!info.audio) {
        throw new MediaError('ENCODE_BAD_OPTIONS', `${resolved.audioPath} has no audio stream`);
      }
      resolved.audioPath = info.path;
    }
    locateFfmpeg();
    throwIfAborted(signal);
    return new Mp4Writer(absolute, resolved, signal);
  }

  /** Frames accepted so far. */
  get framesWritten(): number {
    return this.#frames;
  }

  /**
   * Bytes accepted but not yet taken by ffmpeg's stdin pipe (for monitoring). `writeFrame`
   * keeps it at most `queueFrames + 1` frames.
   */
  get queuedBytes(): number {
    return this.#writes.length * this.frameBytes;
  }

  /**
   * Queues one frame: `width · height · 3` bytes of packed RGB, rows top to bottom. The
   * bytes are copied before this returns a promise, so the caller may reuse its buffer.
   * Resolves once the queue has room again (backpressure from ffmpeg).
   */
  async writeFrame(rgb: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#assertOpen('writeFrame');
    throwIfAborted(options.signal);
    if (rgb.length !== this.frameBytes) {
      throw new MediaError(
        'ENCODE_BAD_FRAME',
        `frame has ${rgb.length} bytes; ${this.options.width}×${this.options.height} RGB needs ${this.frameBytes}`,
      );
    }
    if (this.#failure) throw this.#failure;
    this.#frames++;
    const chunk = this.#pool.pop() ?? Buffer.allocUnsafe(this.frameBytes);
    chunk.set(rgb);
    const written = this.#encoding.stdin.then(
      (stdin) =>
        new Promise<void>((resolveWrite, reject) => {
          stdin.write(chunk, (error) => {
            if (error) return reject(error);
            this.#pool.push(chunk);
            resolveWrite();
          });
        }),
    );
    // Observed below or by the next calls; a failed write means ffmpeg failed (reported so).
    written.catch(() => {});
    this.#writes.push(written);
    written.then(
      () => this.#writes.splice(this.#writes.indexOf(written), 1),
      () => {},
    );
    if (this.#writes.length <= this.options.queueFrames) return;
    await this.#untilTaken(this.#writes[0] as Promise<void>, options.signal);
  }

  /** Waits for a queued frame to be taken by the pipe, ffmpeg's failure or the abort. */
  #untilTaken(written: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolveTaken, reject) => {
      const onAbort = () => {
        reject(new AbortedError('frame write aborted', { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      written.then(
        () => {
          done();
          resolveTaken();
        },
        () => {
          done();
          // The pipe broke: ffmpeg ended or failed; report that.
          this.#encoding.exited.then(
            () =>
              reject(
                new MediaError('ENCODE_CLOSED', 'the encoder stopped while frames were queued'),
              ),
            (error: Error) => reject(this.#state === 'closed' ? this.#closedError(signal) : error),
          );
        },
      );
      this.#encoding.exited.then(
        () => {
          done();
          reject(new MediaError('ENCODE_CLOSED', 'the encoder stopped while frames were queued'));
        },
        (error: Error) => {
          done();
          reject(this.#state === 'closed' ? this.#closedError(signal) : error);
        },
      );
    });
  }

  /**
   * Ends the stream, waits for ffmpeg, muxes the audio (if any) and moves the file to
   * `path`. Throws ENCODE_NO_FRAMES when no frame was written, FFMPEG_FAILED if ffmpeg fails;
   * on any failure the partial files are removed.
   */
  async finish(options: { signal?: AbortSignal } = {}): Promise<Mp4Summary> {
    this.#assertOpen('finish');
    this.#state = 'finishing';
    const onAbort = () => void this.close().catch(() => {});
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.#frames === 0) {
        throw new MediaError('ENCODE_NO_FRAMES', 'no frame was written; an MP4 needs at least one');
      }
      (await this.#encoding.stdin).end();
      await this.#encoding.exited;
      this.#throwIfClosed(options.signal);
      const { fps, audioPath, expectedFrames } = this.options;
      const durationMs = (this.#frames / fps) * 1000;
      if (audioPath !== undefined && expectedFrames === this.#frames) {
        // the audio went in alongside, at this length
        await rename(this.#videoPath, this.#partPath);
      } else if (audioPath !== undefined) {
        const samples = audioSamples(this.#frames, fps);
        this.#encoding = startAudioMux(this.#videoPath, audioPath, samples, this.#partPath, {
          audioBitrateKbps: this.options.audioBitrateKbps,
        });
        await this.#encoding.exited;
        this.#throwIfClosed(options.signal);
        await rm(this.#videoPath, { force: true });
      }
      await rename(this.#partPath, this.path);
      this.#state = 'done';
      return {
        path: this.path,
        frames: this.#frames,
        durationMs,
        hasAudio: audioPath !== undefined,
      };
    } catch (error) {
      // close() may have run meanwhile (abort); TypeScript cannot see that across awaits.
      const closedMeanwhile = (this.#state as string) === 'closed';
      await this.close();
      throw closedMeanwhile ? this.#closedError(options.signal) : error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.#signal?.removeEventListener('abort', this.#onAbort);
    }
  }

  /**
   * Aborts: kills ffmpeg and removes the partial files. Does nothing after a successful
   * `finish()`; safe to call any number of times.
   */
  close(): Promise<void> {
    if (this.#state === 'done') return Promise.resolve();
    this.#closing ??= (async () => {
      this.#state = 'closed';
      this.#signal?.removeEventListener('abort', this.#onAbort);
      this.#encoding.kill();
      this.#encoding.stdin.then((stdin) => stdin.destroy()).catch(() => {});
      await this.#encoding.exited.catch(() => {});
      await rm(this.#videoPath, { force: true });
      await rm(this.#partPath, { force: true });
    })();
    return this.#closing;
  }

  #assertOpen(what: string): void {
    if (this.#state === 'closed') throw this.#closedError(undefined, what);
    if (this.#state !== 'open') {
      throw new MediaError('ENCODE_CLOSED', `${what} after the writer was ${this.#state}`);
    }
  }

  #throwIfClosed(signal: AbortSignal | undefined): void {
    if (this.#state === 'closed') throw this.#closedError(signal);
  }

  /** Aborted when a signal closed the writer, ENCODE_CLOSED when `close()` did. */
  #closedError(signal: AbortSignal | undefined, what = 'encoding'): Error {
    const aborted = signal?.aborted ? signal : this.#signal?.aborted ? this.#signal : undefined;
    if (aborted) return new AbortedError(`${what} aborted`, { cause: aborted.reason });
    return new MediaError('ENCODE_CLOSED', `${what}: the writer was closed`);
  }
}

/** The audio to encode in the video's own ffmpeg run: when there is one and the length is known. */
function audioAlongside(options: ResolvedOptions): AudioAlongside | undefined {
  const { audioPath, expectedFrames, fps } = options;
  if (audioPath === undefined || expectedFrames === undefined) return undefined;
  return {
    path: audioPath,
    samples: audioSamples(expectedFrames, fps),
    bitrateKbps: options.audioBitrateKbps,
  };
}

/** Audio samples (at {@link MP4_AUDIO_SAMPLE_RATE}) exactly as long as `frames` at `fps`. */
function audioSamples(frames: number, fps: number): number {
  return Math.round((frames / fps) * MP4_AUDIO_SAMPLE_RATE);
}
