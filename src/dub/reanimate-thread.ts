import { Worker } from 'node:worker_threads';
import { PendingReplies, throwIfAborted, WORKER_BOOT, workerReady } from '../core/index.ts';
import { type FacePose, loadFaceModel } from '../face/index.ts';
import type { MouthBankPaintOptions } from '../mouthbank/index.ts';
import { RenderError, reviveThreadError, type SerialisedError } from '../render/index.ts';
import {
  LowerFaceReanimator,
  type ReanimatePlan,
  type ReanimateResult,
  type ReanimateSource,
} from './reanimate.ts';

const ENTRY = new URL('./reanimate-worker.ts', import.meta.url).href;

/** Options of {@link ReanimatorThread.start}. */
export interface ReanimatorThreadOptions {
  /** Render grid of the crop, px (the {@link LowerFaceReanimator}'s `sizePx`). */
  sizePx: number;
  /**
   * A folder holding a mouth bank (src/mouthbank `mouthbank.json` + `.bin`): the thread paints
   * the mouth interior from it ({@link mouthBankPainter}). Default: the renderer's interior.
   */
  mouthBankDir?: string;
  /** How that bank paints (MouthBank.load's options; the generic bank's: GENERIC_MOUTH_BANK_PAINT). */
  mouthBankPaint?: MouthBankPaintOptions;
  /** The renderer draws the whole interior (the reanimator's `drawInterior`). Default false. */
  drawInterior?: boolean;
  /**
   * Plan each frame (geometry, crop, blend mask: about a third of the work, no pixels) on
   * the calling thread and send the plan, so that the thread only renders and blends: the
   * two halves of consecutive frames overlap on two cores. Default false (all on the thread).
   */
  planOnCaller?: boolean;
  signal?: AbortSignal;
}

/**
 * A {@link ReanimatePlan} as sent to the thread: the mask as its rows inside the bounds
 * (the grid is 0 outside them), the rest as it is.
 */
export type SentPlan = Omit<ReanimatePlan, 'mask'> & {
  mask: {
    rows: Float32Array;
    bounds: { x0: number; y0: number; x1: number; y1: number };
    blendSpans: Int32Array;
  };
};

/**
 * The plan to send (copies: the planner's buffers are reused by its next plan); the mask
 * rows go into `spare` (a grid-sized buffer the thread sent back) when there is one.
 */
function sendablePlan(
  plan: ReanimatePlan,
  sizePx: number,
  spare: ArrayBuffer | undefined,
): SentPlan {
  const { values, bounds, blendSpans } = plan.mask;
  const from = bounds.y1 < bounds.y0 ? 0 : bounds.y0 * sizePx;
  const to = bounds.y1 < bounds.y0 ? 0 : (bounds.y1 + 1) * sizePx;
  const rows = new Float32Array(spare ?? new ArrayBuffer(sizePx * sizePx * 4), 0, to - from);
  rows.set(values.subarray(from, to));
  return { ...plan, mask: { rows, bounds: { ...bounds }, blendSpans } };
}

/** Messages to the worker. */
export type ReanimatorThreadRequest =
  | {
      type: 'open';
      id: number;
      sizePx: number;
      mouthBankDir: string | undefined;
      mouthBankPaint: MouthBankPaintOptions | undefined;
      drawInterior: boolean;
    }
  | {
      type: 'reanimate';
      id: number;
      /** The reanimator (the id of its `open`). */
      reanimator: number;
      rgb: ArrayBuffer;
      width: number;
      height: number;
      landmarks: Float32Array;
      weights: Float32Array;
      pose: FacePose;
      identity: Float32Array;
      audioWeights: Float32Array;
      strength: number;
      outWidth: number;
      outHeight: number;
      /** Forget the mouth bank's last entry after this frame (a warm-up frame). */
      forget: boolean;
    }
  | {
      type: 'draw';
      id: number;
      reanimator: number;
      rgb: ArrayBuffer;
      width: number;
      height: number;
      plan: SentPlan;
      outWidth: number;
      outHeight: number;
      forget: boolean;
    }
  | { type: 'close'; id: number; reanimator: number };

export type ReanimatorThreadReply =
  | { type: 'ready' }
  | { type: 'done'; id: number }
  | {
      type: 'frame';
      id: number;
      rgb: Uint8Array;
      result: ThreadReanimateResult;
      ms: number;
      /** A drawn plan's mask-rows buffer, sent back for the next plan. */
      spare?: ArrayBuffer;
    }
  | { type: 'error'; id: number | undefined; error: SerialisedError };

/** What one frame did ({@link ReanimateResult} without the mask, which stays in the thread). */
export type ThreadReanimateResult = Omit<ReanimateResult, 'mask'>;

/** A re-animated frame from the thread. */
export interface ThreadReanimated {
  /** The frame, `outWidth` × `outHeight` × 3: the source's own buffer, re-animated in place. */
  rgb: Uint8Array;
  result: ThreadReanimateResult;
  /** Time the thread spent on it, ms. */
  ms: number;
}

/**
 * The worker all reanimator threads of the process share: started on first use (≈ 1 CPU s:
 * a worker loads its modules through tsx afresh) and kept for the next ones (a server renders
 * video after video); it keeps the process alive only while a request is pending. Replaced
 * when it dies.
 */
class ReanimatorHost {
  readonly #worker: Worker;
  readonly #pending = new PendingReplies<ReanimatorThreadReply>();
  failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: ReanimatorThreadReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(workerFailed(error.message, error)));
    worker.on('exit', (code) => this.#fail(workerFailed(`the thread exited (code ${code})`)));
    worker.unref();
  }

  static #shared: Promise<ReanimatorHost> | undefined;

  /** The shared host, started when there is none (or the last one died). */
  static async get(signal: AbortSignal | undefined): Promise<ReanimatorHost> {
    const current = await ReanimatorHost.#shared?.catch(() => undefined);
    if (current && !current.failure) return current;
    const starting = ReanimatorHost.#start(signal);
    ReanimatorHost.#shared = starting;
    starting.catch(() => {
      if (ReanimatorHost.#shared === starting) ReanimatorHost.#shared = undefined;
    });
    return starting;
  }

  static async #start(signal: AbortSignal | undefined): Promise<ReanimatorHost> {
    const worker = new Worker(WORKER_BOOT, { workerData: { entry: ENTRY } });
    try {
      await workerReady(worker, signal, {
        ready: (reply: ReanimatorThreadReply) => (reply.type === 'ready' ? true : undefined),
        error: (reply) => (reply.type === 'error' ? reviveThreadError(reply.error) : undefined),
        failed: workerFailed,
        name: 'reanimator thread',
      });
      return new ReanimatorHost(worker);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  /** Sends a request (its buffers transferred) and resolves with the worker's reply. */
  send(
    request: DistributiveOmit<ReanimatorThreadRequest, 'id'>,
    transfer: ArrayBuffer[] = [],
  ): Promise<ReanimatorThreadReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.#pending.size === 0) this.#worker.ref();
    const { id, reply } = this.#pending.add();
    this.#worker.postMessage({ ...request, id }, transfer);
    return reply;
  }

  #onReply(reply: ReanimatorThreadReply): void {
    if (reply.type === 'ready' || reply.id === undefined) return;
    const answered =
      reply.type === 'error'
        ? this.#pending.reject(reply.id, reviveThreadError(reply.error))
        : this.#pending.resolve(reply.id, reply);
    if (answered && this.#pending.size === 0) this.#worker.unref();
  }

  #fail(error: Error): void {
    this.failure ??= error;
    this.#pending.rejectAll(this.failure);
    this.#worker.unref();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A {@link LowerFaceReanimator} on a worker thread, so that re-animating a frame overlaps
 * with what the caller does meanwhile (decoding the next frames, the motion model, handing
 * frames to the encoder): on two cores, video avatars (and dubbing) use both. Frames are
 * re-animated in the order they are asked for and several may be in flight. The frame's
 * pixels travel without a copy: `source.rgb`'s whole buffer is transferred to the thread
 * (unusable here meanwhile), re-animated in place (the reanimator reads the source only
 * before it writes) and transferred back as the result. The process's reanimators share
 * one worker (started once, kept). Errors keep their code and kind; RENDER_WORKER_FAILED
 * when the thread dies, RENDER_CLOSED after close.
 *
 * @example
 * const thread = await ReanimatorThread.start({ sizePx: 384 });
 * const { rgb } = await thread.reanimate({ ...face, rgb: frame, width, height }, weights, 1);
 * await thread.close();
 */
export class ReanimatorThread {
  readonly sizePx: number;
  readonly #host: ReanimatorHost;
  readonly #id: number;
  /** Plans frames here when the options ask for it (its renderer is never made). */
  readonly #planner: LowerFaceReanimator | undefined;
  /** Mask-rows buffers back from the thread, reused (no mask-sized garbage a frame). */
  readonly #spares: ArrayBuffer[] = [];
  #closing: Promise<void> | undefined;

  private constructor(
    host: ReanimatorHost,
    id: number,
    sizePx: number,
    planner: LowerFaceReanimator | undefined,
  ) {
    this.#host = host;
    this.#id = id;
    this.sizePx = sizePx;
    this.#planner = planner;
  }

  /**
   * Starts the shared worker now when there is none (it takes about a second), so that a
   * later {@link ReanimatorThread.start} finds it ready; e.g. while the caller loads its data.
   */
  static async warmUp(signal?: AbortSignal): Promise<void> {
    await ReanimatorHost.get(signal);
  }

  /** A reanimator on the shared thread (started when needed), its mouth bank loaded there. */
  static async start(options: ReanimatorThreadOptions): Promise<ReanimatorThread> {
    throwIfAborted(options.signal);
    const host = await ReanimatorHost.get(options.signal);
    const opened = await host.send({
      type: 'open',
      sizePx: options.sizePx,
      mouthBankDir: options.mouthBankDir,
      mouthBankPaint: options.mouthBankPaint,
      drawInterior: options.drawInterior ?? false,
    });
    const planner = options.planOnCaller
      ? new LowerFaceReanimator(await loadFaceModel(), options.sizePx)
      : undefined;
    return new ReanimatorThread(host, (opened as { id: number }).id, options.sizePx, planner);
  }

  /**
   * Re-animates `source` towards `audioWeights` by `strength`, as
   * {@link LowerFaceReanimator.reanimate} does into a copy of the frame of `outWidth` ×
   * `outHeight` (at most the frame's size; default the frame's). `source.rgb` must be a
   * whole ArrayBuffer of its own (it is transferred); the result's `rgb` is that buffer
   * again when the sizes match. `forget`: the mouth bank's choice is forgotten after this
   * frame (a warm-up frame).
   */
  async reanimate(
    source: ReanimateSource,
    audioWeights: ArrayLike<number>,
    strength: number,
    options: { outWidth?: number; outHeight?: number; forget?: boolean } = {},
  ): Promise<ThreadReanimated> {
    if (this.#closing) throw new RenderError('RENDER_CLOSED', 'the reanimator thread is closed');
    const buffer = source.rgb.buffer;
    if (!(buffer instanceof ArrayBuffer) || source.rgb.byteLength !== buffer.byteLength) {
      throw new RenderError('RENDER_BAD_OPTIONS', 'source.rgb must own its whole ArrayBuffer');
    }
    const outWidth = options.outWidth ?? source.width;
    const outHeight = options.outHeight ?? source.height;
    const forget = options.forget ?? false;
    const reply = this.#planner
      ? await this.#sendPlanned(source, buffer, audioWeights, strength, {
          outWidth,
          outHeight,
          forget,
        })
      : await this.#host.send(
          {
            type: 'reanimate',
            reanimator: this.#id,
            rgb: buffer,
            width: source.width,
            height: source.height,
            landmarks: Float32Array.from(source.landmarks),
            weights: Float32Array.from(source.weights),
            pose: { ...source.pose },
            identity: source.identity,
            audioWeights: Float32Array.from(audioWeights),
            strength,
            outWidth,
            outHeight,
            forget,
          },
          [buffer],
        );
    if (reply.type !== 'frame') throw workerFailed(`unexpected reply ${reply.type}`);
    if (reply.spare) this.#spares.push(reply.spare);
    return { rgb: reply.rgb, result: reply.result, ms: reply.ms };
  }

  /** Plans the frame here and sends the plan with the pixels: the thread renders and blends. */
  #sendPlanned(
    source: ReanimateSource,
    buffer: ArrayBuffer,
    audioWeights: ArrayLike<number>,
    strength: number,
    out: { outWidth: number; outHeight: number; forget: boolean },
  ): Promise<ReanimatorThreadReply> {
    const planner = this.#planner as LowerFaceReanimator;
    const plan = sendablePlan(
      planner.plan(source, audioWeights, strength),
      this.sizePx,
      this.#spares.pop(),
    );
    return this.#host.send(
      {
        type: 'draw',
        reanimator: this.#id,
        rgb: buffer,
        width: source.width,
        height: source.height,
        plan,
        ...out,
      },
      [buffer, plan.mask.rows.buffer as ArrayBuffer],
    );
  }

  /** Releases this reanimator (the shared thread stays for the next). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#host
      .send({ type: 'close', reanimator: this.#id })
      .then(() => undefined)
      .catch(() => undefined);
    return this.#closing;
  }
}

function workerFailed(message: string, cause?: Error): RenderError {
  return new RenderError('RENDER_WORKER_FAILED', `reanimator thread: ${message}`, { cause });
}
