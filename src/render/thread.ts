import { Worker } from 'node:worker_threads';
import type { ControlsFrame } from '../controls/index.ts';
import {
  type ErrorKind,
  FacecastError,
  isFacecastError,
  throwIfAborted,
  WORKER_BOOT,
  workerReady,
} from '../core/index.ts';
import { RenderError } from './errors.ts';

const ENTRY = new URL('./thread-worker.ts', import.meta.url).href;

/** What the worker is started with (`workerData`). */
export interface RenderThreadData {
  entry: string;
  avatarDir: string;
  sizePx: number;
  steady: boolean;
  warmUp: boolean;
}

export type RenderThreadRequest =
  | { type: 'render'; id: number; controls: ControlsFrame; reuse?: ArrayBuffer }
  | { type: 'close' };

export type RenderThreadReply =
  | { type: 'ready'; width: number; height: number }
  | { type: 'frame'; id: number; rgb: Uint8Array; renderMs: number }
  | { type: 'error'; id: number | undefined; error: SerialisedError };

/** A FacecastError across the thread boundary (code, kind and message; the stack stays). */
export interface SerialisedError {
  code: string;
  kind: string;
  message: string;
}

/** Options of {@link RenderThread.start}. */
export interface RenderThreadOptions {
  /** Longer side of the output, px. */
  sizePx: number;
  /**
   * Temporal steadiness inside the thread. It needs every frame in order on one Renderer:
   * true for a single thread that renders a stream (live); false when frames are dealt to
   * several threads and steadied afterwards (RenderPool).
   */
  steady: boolean;
  /** Render a few frames before `ready`, so the first real frame is not the slow one. Default false. */
  warmUp?: boolean;
  signal?: AbortSignal;
}

/** One rendered frame: packed RGB (the caller's to keep) and the thread's render time. */
export interface ThreadFrame {
  rgb: Uint8Array;
  renderMs: number;
}

interface Pending {
  resolve: (frame: ThreadFrame) => void;
  reject: (error: Error) => void;
}

/**
 * A Renderer on its own worker thread: the one worker-thread render path of facecast (the
 * offline RenderPool deals frames to several; a live session renders on one). Frames are
 * rendered in the order they are asked for, several may be in flight, and each composite
 * comes back as a transferred buffer (no copy across threads; pass the previous frame's
 * buffer as `reuse` to render into it instead of a new one). Errors keep their code and kind:
 * the renderer's own (e.g. PROFILE_NOT_FOUND at start-up), RENDER_WORKER_FAILED when the
 * thread dies (every pending and later render rejects with it), RENDER_CLOSED after close.
 *
 * @example
 * const thread = await RenderThread.start('avatars/s42', { sizePx: 512, steady: true });
 * const { rgb, renderMs } = await thread.render(controls);
 * await thread.close();
 */
export class RenderThread {
  readonly width: number;
  readonly height: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #renders = 0;
  #renderMs = 0;

  private constructor(worker: Worker, size: { width: number; height: number }) {
    this.#worker = worker;
    this.width = size.width;
    this.height = size.height;
    worker.on('message', (reply: RenderThreadReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(workerFailed(error.message, error)));
    worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(workerFailed(`the render thread exited (code ${code})`));
    });
  }

  /** Starts the thread and loads the avatar there; rejects with the renderer's own error. */
  static async start(avatarDir: string, options: RenderThreadOptions): Promise<RenderThread> {
    throwIfAborted(options.signal);
    const workerData: RenderThreadData = {
      entry: ENTRY,
      avatarDir,
      sizePx: options.sizePx,
      steady: options.steady,
      warmUp: options.warmUp ?? false,
    };
    const worker = new Worker(WORKER_BOOT, { workerData });
    try {
      const size = await workerReady(worker, options.signal, {
        ready: (reply: RenderThreadReply) =>
          reply.type === 'ready' ? { width: reply.width, height: reply.height } : undefined,
        error: (reply) => (reply.type === 'error' ? reviveThreadError(reply.error) : undefined),
        failed: workerFailed,
        name: 'render thread',
      });
      return new RenderThread(worker, size);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  /** Renders one frame after those already asked for. */
  render(controls: ControlsFrame, reuse?: Uint8Array): Promise<ThreadFrame> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) {
      return Promise.reject(new RenderError('RENDER_CLOSED', 'the render thread is closed'));
    }
    const id = this.#nextId++;
    return new Promise<ThreadFrame>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const request: RenderThreadRequest = { type: 'render', id, controls };
      // A whole buffer of ours travels back to the thread; anything else is left alone.
      const buffer = reuse?.buffer;
      if (buffer instanceof ArrayBuffer && reuse?.byteLength === buffer.byteLength) {
        this.#worker.postMessage({ ...request, reuse: buffer }, [buffer]);
      } else {
        this.#worker.postMessage(request);
      }
    });
  }

  /** Stops the thread; pending renders reject with RENDER_CLOSED. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new RenderError('RENDER_CLOSED', 'the render thread was closed');
      for (const pending of this.#pending.values()) pending.reject(closed);
      this.#pending.clear();
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  /** The worker's thread id (for resource checks). */
  get threadId(): number {
    return this.#worker.threadId;
  }

  toJSON(): { renders: number; meanRenderMs: number } {
    return {
      renders: this.#renders,
      meanRenderMs: this.#renders ? this.#renderMs / this.#renders : 0,
    };
  }

  #onReply(reply: RenderThreadReply): void {
    if (reply.type === 'ready' || reply.id === undefined) return;
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.type === 'frame') {
      this.#renders++;
      this.#renderMs += reply.renderMs;
      pending.resolve({ rgb: reply.rgb, renderMs: reply.renderMs });
    } else {
      pending.reject(reviveThreadError(reply.error));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}

function workerFailed(message: string, cause?: Error): RenderError {
  return new RenderError('RENDER_WORKER_FAILED', `render thread: ${message}`, { cause });
}

/** The thread's error as a FacecastError with the same code and kind (stack lost). */
export function reviveThreadError(error: SerialisedError): FacecastError {
  return new FacecastError(error.code, error.kind as ErrorKind, error.message);
}

/** An error thrown on a worker thread, for its reply (anything but a FacecastError: RENDER_WORKER_FAILED). */
export function serialiseThreadError(error: unknown): SerialisedError {
  return isFacecastError(error)
    ? { code: error.code, kind: error.kind, message: error.message }
    : {
        code: 'RENDER_WORKER_FAILED',
        kind: 'internal',
        message: error instanceof Error ? error.message : String(error),
      };
}
