import { Worker } from 'node:worker_threads';
import type { ControlsFrame } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { LiveError } from './errors.ts';
import type { RenderPort, RgbFrame } from './ports.ts';

type FromWorker =
  | { type: 'ready'; width: number; height: number; shared: SharedArrayBuffer }
  | { type: 'init-failed'; message: string; code?: string; kind?: string }
  | { type: 'done'; id: number; renderMs: number }
  | { type: 'failed'; id: number; message: string };

const THREAD_URL = new URL('./render-thread.ts', import.meta.url);
/** Loads the thread's TypeScript through tsx (the repository runs its sources directly). */
const BOOTSTRAP = `
  const { workerData } = require('node:worker_threads');
  import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
    .then(({ register }) => { register(); return import(workerData.threadUrl); });
`;

/**
 * A session's renderer on its own worker thread, so rendering (the heaviest stage of
 * warp-only output, ~10–20 ms per 512² frame) runs beside the event loop that carries the
 * realtime audio, signalling and every other session, and uses the second core. Frames come
 * back through a SharedArrayBuffer (no copy per frame across threads); one render at a time.
 *
 * @example
 * const renderer = await RenderWorker.start('avatars/s42', { size: 512 });
 * const rgb = await renderer.render(controls);
 * await renderer.close();
 */
export class RenderWorker implements RenderPort {
  readonly width: number;
  readonly height: number;
  readonly #worker: Worker;
  readonly #frame: RgbFrame;
  #pending: { id: number; resolve: (f: RgbFrame) => void; reject: (e: Error) => void } | undefined;
  #nextId = 0;
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;
  #renders = 0;
  #renderMs = 0;

  private constructor(worker: Worker, ready: Extract<FromWorker, { type: 'ready' }>) {
    this.#worker = worker;
    this.width = ready.width;
    this.height = ready.height;
    this.#frame = { width: ready.width, height: ready.height, data: new Uint8Array(ready.shared) };
    worker.on('message', (m: FromWorker) => this.#onMessage(m));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(new Error(`render worker exited (${code})`));
    });
  }

  /** Starts the thread and loads the avatar there; rejects like `createRenderer` would. */
  static async start(
    avatarDir: string,
    options: { size: number; signal?: AbortSignal },
  ): Promise<RenderWorker> {
    throwIfAborted(options.signal);
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { threadUrl: THREAD_URL.href, avatarDir, size: options.size },
    });
    try {
      const first = await new Promise<FromWorker>((resolve, reject) => {
        const onExit = (code: number) =>
          reject(new Error(`render worker exited (${code}) while starting`));
        const onAbort = () => reject(options.signal?.reason);
        worker.once('message', (m: FromWorker) => {
          worker.off('error', reject);
          worker.off('exit', onExit);
          options.signal?.removeEventListener('abort', onAbort);
          resolve(m);
        });
        worker.once('error', reject);
        worker.once('exit', onExit);
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (first.type !== 'ready') {
        const message = first.type === 'init-failed' ? first.message : `unexpected ${first.type}`;
        throw new LiveError(
          first.type === 'init-failed' && first.kind !== 'internal'
            ? 'LIVE_AVATAR_NOT_FOUND'
            : 'LIVE_PIPELINE_FAILED',
          `render worker: ${message}`,
        );
      }
      return new RenderWorker(worker, first);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  render(controls: ControlsFrame): Promise<RgbFrame> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new LiveError('LIVE_SESSION_ENDED', 'renderer closed'));
    if (this.#pending) {
      return Promise.reject(
        new LiveError('LIVE_PIPELINE_FAILED', 'render called while a render is in flight'),
      );
    }
    const id = this.#nextId++;
    return new Promise<RgbFrame>((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.#worker.postMessage({ id, controls });
    });
  }

  /** Stops the thread. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#pending?.reject(new LiveError('LIVE_SESSION_ENDED', 'renderer closed'));
      this.#pending = undefined;
      await this.#worker.terminate();
    })();
    return this.#closed;
  }

  /** The thread id (for resource checks). */
  get threadId(): number {
    return this.#worker.threadId;
  }

  toJSON(): { renders: number; meanRenderMs: number } {
    return {
      renders: this.#renders,
      meanRenderMs: this.#renders ? this.#renderMs / this.#renders : 0,
    };
  }

  #onMessage(message: FromWorker): void {
    const pending = this.#pending;
    if (!pending || !('id' in message) || message.id !== pending.id) return;
    this.#pending = undefined;
    if (message.type === 'done') {
      this.#renders++;
      this.#renderMs += message.renderMs;
      pending.resolve(this.#frame);
    } else if (message.type === 'failed') {
      pending.reject(new LiveError('LIVE_PIPELINE_FAILED', `render failed: ${message.message}`));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= new LiveError('LIVE_PIPELINE_FAILED', `render worker: ${error.message}`, {
      cause: error,
    });
    this.#pending?.reject(this.#failure);
    this.#pending = undefined;
  }
}
