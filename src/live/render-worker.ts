import type { ControlsFrame } from '../controls/index.ts';
import { isFacecastError } from '../core/index.ts';
import { RenderThread } from '../render/index.ts';
import { LiveError } from './errors.ts';
import type { RenderPort, RgbFrame } from './ports.ts';

/**
 * A session's renderer on its own worker thread (src/render's {@link RenderThread}, the same
 * path as offline rendering), so rendering (the heaviest stage of warp-only output, ~10–20 ms
 * per 512² frame) runs beside the event loop that carries the realtime audio, signalling and
 * every other session, and uses the second core. One Renderer renders the session's frames in
 * order with temporal steadiness, warmed up before the first frame; each frame's buffer goes
 * back to the thread with the next render (no copy, no allocation per frame). One render at a
 * time. Errors become live codes: an avatar that cannot be loaded → LIVE_AVATAR_NOT_FOUND,
 * anything else → LIVE_PIPELINE_FAILED.
 *
 * @example
 * const renderer = await RenderWorker.start('avatars/s42', { size: 512 });
 * const rgb = await renderer.render(controls);
 * await renderer.close();
 */
export class RenderWorker implements RenderPort {
  readonly width: number;
  readonly height: number;
  readonly #thread: RenderThread;
  #last: Uint8Array | undefined;
  #rendering = false;
  #closed = false;

  private constructor(thread: RenderThread) {
    this.#thread = thread;
    this.width = thread.width;
    this.height = thread.height;
  }

  /** Starts the thread and loads the avatar there. */
  static async start(
    avatarDir: string,
    options: { size: number; signal?: AbortSignal },
  ): Promise<RenderWorker> {
    try {
      const thread = await RenderThread.start(avatarDir, {
        sizePx: options.size,
        steady: true,
        warmUp: true,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return new RenderWorker(thread);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const avatarProblem = isFacecastError(error) && error.kind !== 'internal';
      throw new LiveError(
        avatarProblem ? 'LIVE_AVATAR_NOT_FOUND' : 'LIVE_PIPELINE_FAILED',
        `render worker: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async render(controls: ControlsFrame): Promise<RgbFrame> {
    if (this.#closed) throw new LiveError('LIVE_SESSION_ENDED', 'renderer closed');
    if (this.#rendering) {
      throw new LiveError('LIVE_PIPELINE_FAILED', 'render called while a render is in flight');
    }
    this.#rendering = true;
    try {
      const reuse = this.#last;
      this.#last = undefined;
      const { rgb } = await this.#thread.render(controls, reuse);
      this.#last = rgb;
      return { width: this.width, height: this.height, data: rgb };
    } catch (error) {
      if (this.#closed) throw new LiveError('LIVE_SESSION_ENDED', 'renderer closed');
      throw new LiveError('LIVE_PIPELINE_FAILED', `render failed: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      this.#rendering = false;
    }
  }

  /** Stops the thread. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#thread.close();
  }

  /** The thread id (for resource checks). */
  get threadId(): number {
    return this.#thread.threadId;
  }

  toJSON(): { renders: number; meanRenderMs: number } {
    return this.#thread.toJSON();
  }
}
