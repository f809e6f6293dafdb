import type { ControlsFrame } from '../controls/index.ts';
import { createRenderer } from '../render/index.ts';
import { RenderPool } from './render-pool.ts';

/** Renders Controls frames to packed RGB, in order, with some frames in flight. */
export interface FrameRenderer {
  readonly width: number;
  readonly height: number;
  /** Frames that may be requested before the oldest is consumed. */
  readonly maxInFlight: number;
  /**
   * The frame's RGB. With `maxInFlight` 1 the buffer is only valid until the next call
   * (the in-process renderer reuses it); a caller consumes each frame before asking again.
   */
  render(frame: ControlsFrame): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Default render threads: 0 (render on the calling thread). On the shared 2-core machine
 * worker threads were slower (their start-up and frame copies cost more than the second
 * core gave back; docs/benchmarks.md, "render threads"); on machines with more free cores
 * pass `renderThreads` (CLI `--threads`).
 */
export const DEFAULT_RENDER_THREADS = 0;

/**
 * A warp-only frame renderer for an avatar: on `threads` worker threads (a RenderPool), or
 * on the calling thread when `threads` is 0.
 */
export async function openFrameRenderer(
  avatarDir: string,
  options: { sizePx: number; threads: number; signal?: AbortSignal },
): Promise<FrameRenderer> {
  if (options.threads <= 0) {
    const renderer = await createRenderer(avatarDir, {
      size: options.sizePx,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      width: renderer.width,
      height: renderer.height,
      maxInFlight: 1,
      render: async (frame) => renderer.render(frame).composite.data,
      close: async () => renderer.close(),
    };
  }
  const pool = await RenderPool.create(avatarDir, options);
  return {
    width: pool.width,
    height: pool.height,
    maxInFlight: options.threads * 2,
    render: async (frame) => (await pool.render(frame)).rgb,
    close: () => pool.close(),
  };
}
