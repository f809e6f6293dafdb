import { BLENDSHAPE_COUNT, blendshapeVector, type ControlsFrame } from '../controls/index.ts';
import { framedReference, type Generator } from '../generator/index.ts';
import type { MouthBankPaintOptions } from '../mouthbank/index.ts';
import { createRenderer } from '../render/index.ts';
import { isReplicaDir, ReplicaPlayer, type ReplicaPlayerPool } from '../replica/index.ts';
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
  /**
   * Finishes every frame asked for so far (the generator works in windows of frames: the
   * last, partial window only completes here). Call once, after the last `render`.
   */
  flush(): Promise<void>;
  /**
   * `warp` (warp-only composite), `generator` (generator + super-resolution) or `replica`
   * (a video avatar: its footage with the mouth re-animated).
   */
  readonly kind: 'warp' | 'generator' | 'replica';
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
  options: {
    sizePx: number;
    threads: number;
    signal?: AbortSignal;
    generator?: Generator;
    seed?: number;
    /** A video avatar's mouth-bank paint (ReplicaPlayer `mouthBankPaint`). */
    mouthBankPaint?: MouthBankPaintOptions;
    /** Where a video avatar's player is taken from and given back to (kept between renders). */
    replicas?: ReplicaPlayerPool;
  },
): Promise<FrameRenderer> {
  if (await isReplicaDir(avatarDir)) {
    return openReplicaRenderer(
      avatarDir,
      options.seed ?? 0,
      options.mouthBankPaint,
      options.replicas,
    );
  }
  if (options.generator) return openGeneratedRenderer(avatarDir, options.generator, options);
  if (options.threads <= 0) {
    const renderer = await createRenderer(avatarDir, {
      size: options.sizePx,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      width: renderer.width,
      height: renderer.height,
      maxInFlight: 1,
      kind: 'warp',
      render: async (frame) => renderer.render(frame).composite.data,
      flush: async () => {},
      close: async () => renderer.close(),
    };
  }
  const pool = await RenderPool.create(avatarDir, options);
  return {
    width: pool.width,
    height: pool.height,
    maxInFlight: options.threads * 2,
    kind: 'warp',
    render: async (frame) => (await pool.render(frame)).rgb,
    flush: async () => {},
    close: () => pool.close(),
  };
}

/**
 * A video avatar (src/replica): the footage played along its plan, the mouth re-animated to
 * each frame's Controls (only jaw and mouth articulation; the footage keeps its own blinks,
 * brows and head motion). Output at the footage's stored size; `sizePx`, render threads and
 * the generator do not apply (the footage's real pixels are the realism). Two frames in
 * flight: the next frame renders while the previous one is handed to the encoder (the
 * player reads the weights at the call and keeps its frames valid that long).
 */
async function openReplicaRenderer(
  avatarDir: string,
  seed: number,
  mouthBankPaint: MouthBankPaintOptions | undefined,
  pool: ReplicaPlayerPool | undefined,
): Promise<FrameRenderer> {
  const options = { seed, ...(mouthBankPaint ? { mouthBankPaint } : {}) };
  const player = pool
    ? await pool.acquire(avatarDir, options)
    : await ReplicaPlayer.open(avatarDir, options);
  const weights = new Float32Array(BLENDSHAPE_COUNT);
  let failed = false;
  let closing: Promise<void> | undefined;
  return {
    width: player.width,
    height: player.height,
    maxInFlight: 2,
    kind: 'replica',
    render: (frame) => {
      const rgb = player.render(blendshapeVector(frame, weights));
      rgb.catch(() => {
        failed = true;
      });
      return rgb;
    },
    flush: async () => {},
    // A player that failed a frame is not kept.
    close: () => {
      closing ??= pool ? pool.release(player, failed) : player.close();
      return closing;
    },
  };
}

/**
 * Warp-only render on the calling thread, then the generator + super-resolution over the face
 * (src/generator `GeneratorStream`, windows of the manifest's `framesPerWindow` frames, each
 * conditioned on the previous output). `render()` promises resolve when their window is
 * generated; `flush()` generates the last, partial window.
 */
async function openGeneratedRenderer(
  avatarDir: string,
  generator: Generator,
  options: { sizePx: number; signal?: AbortSignal },
): Promise<FrameRenderer> {
  const renderer = await createRenderer(avatarDir, {
    size: options.sizePx,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const reference = renderer.reference;
  if (!reference) {
    renderer.close();
    throw new Error('the renderer has no reference image to condition the generator on');
  }
  const framed = framedReference(reference, renderer.width, renderer.height);
  const stream = generator.createStream();
  const waiting: { resolve(rgb: Uint8Array): void; reject(error: unknown): void }[] = [];
  // The stream's output images are its own buffers, reused by the next window: copy them.
  const settle = (images: { data: Uint8Array }[]) => {
    for (const image of images) waiting.shift()?.resolve(image.data.slice());
  };
  const fail = (error: unknown) => {
    for (const w of waiting.splice(0)) w.reject(error);
  };
  const signalOpt = options.signal ? { signal: options.signal } : {};
  let chain: Promise<void> = Promise.resolve();
  return {
    width: renderer.width,
    height: renderer.height,
    maxInFlight: stream.framesPerWindow,
    kind: 'generator',
    render(frame) {
      const done = new Promise<Uint8Array>((resolve, reject) => waiting.push({ resolve, reject }));
      // One frame at a time: the renderer reuses its buffers and the stream is sequential.
      chain = chain
        .then(async () => {
          const { composite, maps } = renderer.render(frame);
          settle(await stream.push({ composite, maps, reference: framed }, signalOpt));
        })
        .catch(fail);
      return done;
    },
    async flush() {
      chain = chain.then(async () => settle(await stream.flush(signalOpt))).catch(fail);
      await chain;
    },
    close: async () => {
      stream.close();
      renderer.close();
    },
  };
}
