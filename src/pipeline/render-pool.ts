import { Worker } from 'node:worker_threads';
import type { ControlsFrame } from '../controls/index.ts';
import { type ErrorKind, FacecastError, throwIfAborted } from '../core/index.ts';
import { TemporalSteadier } from '../render/index.ts';
import type { RenderWorkerData, RenderWorkerReply, SerialisedError } from './render-worker.ts';

const BOOT = new URL('./worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./render-worker.ts', import.meta.url).href;

/** One rendered frame: packed RGB owned by the caller, and the worker's render time. */
export interface PooledFrame {
  rgb: Uint8Array;
  renderMs: number;
}

interface Pending {
  resolve: (frame: PooledFrame) => void;
  reject: (error: Error) => void;
}

/**
 * Warp-only rendering on worker threads: one Renderer per worker, frames dealt round-robin.
 * Each worker renders its frames in order, and `render()` promises resolve per frame, so a
 * caller that awaits them in submission order writes the video in order. Each Renderer is
 * self-contained (its incremental redraw only reuses what it drew itself) and renders without
 * temporal steadiness; the pool steadies the frames here, in submission order, over the whole
 * frame (a sequential Renderer steadies only the pixels it redrew, which can differ by a
 * level where a pixel settles). test/pipeline/render-pool.test.ts checks the equivalence.
 *
 * @example
 * const pool = await RenderPool.create('avatars/anna', { sizePx: 512, threads: 2 });
 * const pending = frames.map((f) => pool.render(f));
 * for (const p of pending) await writer.writeFrame((await p).rgb);
 * await pool.close();
 */
export class RenderPool {
  readonly width: number;
  readonly height: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, Pending>();
  /** Rendered frames waiting for the ones before them (steadiness runs in order). */
  readonly #done = new Map<number, PooledFrame>();
  readonly #steadier: TemporalSteadier;
  #nextId = 0;
  #nextOut = 0;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(workers: Worker[], width: number, height: number) {
    this.#workers = workers;
    this.width = width;
    this.height = height;
    this.#steadier = new TemporalSteadier(width, height);
    for (const worker of workers) {
      worker.on('message', (reply: RenderWorkerReply) => this.#onReply(reply));
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (!this.#closing) this.#fail(new Error(`a render worker exited (code ${code})`));
      });
    }
  }

  /** Starts `threads` workers on the avatar (each loads the face model and the image). */
  static async create(
    avatarDir: string,
    options: { sizePx: number; threads: number; signal?: AbortSignal },
  ): Promise<RenderPool> {
    throwIfAborted(options.signal);
    const workers: Worker[] = [];
    try {
      const sizes = await Promise.all(
        Array.from({ length: Math.max(1, options.threads) }, () => {
          const workerData: RenderWorkerData = { entry: ENTRY, avatarDir, sizePx: options.sizePx };
          const worker = new Worker(BOOT, { workerData });
          workers.push(worker);
          return ready(worker);
        }),
      );
      throwIfAborted(options.signal);
      const [first] = sizes as [{ width: number; height: number }];
      return new RenderPool(workers, first.width, first.height);
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
  }

  /** Renders one frame on the next worker in turn. */
  render(frame: ControlsFrame): Promise<PooledFrame> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing)
      return Promise.reject(
        new FacecastError('RENDER_CLOSED', 'internal', 'the render pool is closed'),
      );
    const id = this.#nextId++;
    const worker = this.#workers[id % this.#workers.length] as Worker;
    return new Promise<PooledFrame>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'frame', id, frame });
    });
  }

  /** Stops the workers; pending frames are rejected. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new FacecastError('RENDER_CLOSED', 'internal', 'the render pool was closed');
      for (const pending of this.#pending.values()) pending.reject(closed);
      this.#pending.clear();
      await Promise.all(this.#workers.map((w) => w.terminate()));
    })();
    return this.#closing;
  }

  #onReply(reply: RenderWorkerReply): void {
    if (reply.type === 'ready') return;
    const id = reply.id;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (reply.type === 'frame' && id !== undefined && pending) {
      this.#done.set(id, { rgb: reply.rgb, renderMs: reply.renderMs });
      this.#release();
    } else if (reply.type === 'error') {
      // A lost frame would stall every later one (steadiness runs in order): the pool fails.
      this.#fail(revive(reply.error));
    }
  }

  /** Steadies and hands out the finished frames that are next in submission order. */
  #release(): void {
    for (let frame = this.#done.get(this.#nextOut); frame; frame = this.#done.get(this.#nextOut)) {
      const id = this.#nextOut++;
      this.#done.delete(id);
      this.#steadier.apply(frame.rgb, this.width);
      this.#pending.get(id)?.resolve(frame);
      this.#pending.delete(id);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

function ready(worker: Worker): Promise<{ width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: RenderWorkerReply) => {
      if (reply.type === 'ready') resolve({ width: reply.width, height: reply.height });
      else if (reply.type === 'error') reject(revive(reply.error));
      else return;
      worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`render worker exited during start-up (code ${code})`)),
    );
  });
}

/** The worker's error as a FacecastError with the same code and kind (stack lost). */
function revive(error: SerialisedError): FacecastError {
  return new FacecastError(error.code, error.kind as ErrorKind, error.message);
}
