import type { ControlsFrame } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { RenderError, RenderThread, TemporalSteadier, type ThreadFrame } from '../render/index.ts';

/** One rendered frame: packed RGB owned by the caller, and the worker's render time. */
export type PooledFrame = ThreadFrame;

interface Pending {
  resolve: (frame: PooledFrame) => void;
  reject: (error: Error) => void;
}

/**
 * Warp-only rendering on worker threads: one {@link RenderThread} per worker, frames dealt
 * round-robin. Each thread renders its frames in order, and `render()` promises resolve per
 * frame, so a caller that awaits them in submission order writes the video in order. Each
 * Renderer is self-contained (its incremental redraw only reuses what it drew itself) and
 * renders without temporal steadiness; the pool steadies the frames here, in submission
 * order, over the whole frame (a sequential Renderer steadies only the pixels it redrew,
 * which can differ by a level where a pixel settles). test/pipeline/render-pool.test.ts
 * checks the equivalence.
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
  readonly #threads: RenderThread[];
  readonly #pending = new Map<number, Pending>();
  /** Rendered frames waiting for the ones before them (steadiness runs in order). */
  readonly #done = new Map<number, PooledFrame>();
  readonly #steadier: TemporalSteadier;
  #nextId = 0;
  #nextOut = 0;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(threads: RenderThread[]) {
    const [first] = threads as [RenderThread];
    this.#threads = threads;
    this.width = first.width;
    this.height = first.height;
    this.#steadier = new TemporalSteadier(this.width, this.height);
  }

  /** Starts `threads` render threads on the avatar (each loads the face model and the image). */
  static async create(
    avatarDir: string,
    options: { sizePx: number; threads: number; signal?: AbortSignal },
  ): Promise<RenderPool> {
    throwIfAborted(options.signal);
    const count = Math.max(1, options.threads);
    const started = await Promise.allSettled(
      Array.from({ length: count }, () =>
        RenderThread.start(avatarDir, {
          sizePx: options.sizePx,
          steady: false,
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      ),
    );
    const threads = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(threads.map((t) => t.close()));
      throw failed.reason;
    }
    return new RenderPool(threads);
  }

  /** Renders one frame on the next thread in turn. */
  render(frame: ControlsFrame): Promise<PooledFrame> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) {
      return Promise.reject(new RenderError('RENDER_CLOSED', 'the render pool is closed'));
    }
    const id = this.#nextId++;
    const thread = this.#threads[id % this.#threads.length] as RenderThread;
    return new Promise<PooledFrame>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      thread.render(frame).then(
        (rendered) => {
          this.#done.set(id, rendered);
          this.#release();
        },
        // A lost frame would stall every later one (steadiness runs in order): the pool fails.
        (error: Error) => this.#fail(error),
      );
    });
  }

  /** Stops the threads; pending frames are rejected. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new RenderError('RENDER_CLOSED', 'the render pool was closed');
      for (const pending of this.#pending.values()) pending.reject(closed);
      this.#pending.clear();
      await Promise.all(this.#threads.map((t) => t.close()));
    })();
    return this.#closing;
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
    if (this.#closing) return;
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
