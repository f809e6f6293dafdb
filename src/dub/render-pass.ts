import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from '../face/index.ts';
import { Mp4Writer } from '../media/index.ts';
import { copyFrame } from './composite.ts';
import type { DubModels, DubTimings } from './dub.ts';
import { DubError } from './errors.ts';
import { scalePose } from './geometry.ts';
import type { MouthTrack } from './mouth-track.ts';
import type { DUB_DEFAULTS, DubFrameInfo, DubOptions, DubProgress } from './options.ts';
import type { OutputPlan } from './output-plan.ts';
import { SourceFrameReader } from './reader.ts';
import { LowerFaceReanimator, type ReanimateSource, reanimateInPlace } from './reanimate.ts';
import { ReanimatorThread } from './reanimate-thread.ts';
import type { TrackFeed } from './track-feed.ts';
import type { TrackStore } from './track-store.ts';

/** Share of the progress bar given to tracking (it dominates the time on CPU). */
export const TRACK_SHARE = 0.6;

/** Output frames re-animated on the thread ahead of the one being encoded. */
const IN_FLIGHT = 2;

export interface RenderPassInput {
  mouth: MouthTrack;
  models: DubModels;
  store: TrackStore;
  /** Pass 1, finished or still running (each frame waits for what it needs). */
  feed: TrackFeed;
  plan: OutputPlan;
  /** Source px per tracking px. */
  scale: number;
  renderSize: number;
  videoPath: string;
  audioPath: string;
  outPath: string;
  /** Every source frame at full size (pass 1's), or undefined: pass 2 decodes. */
  keptFrames: readonly Uint8Array[] | undefined;
  sourceWidth: number;
  sourceHeight: number;
  options: DubOptions & typeof DUB_DEFAULTS;
  report: (p: DubProgress, force?: boolean) => void;
}

/** One output frame on its way to the encoder, in output order. */
interface Pending {
  info: DubFrameInfo;
  rgb: Promise<Uint8Array>;
}

/**
 * Pass 2: every output frame from its source frame — re-animated where the source frame is
 * dubbable (on the reanimator thread by default, up to {@link IN_FLIGHT} frames ahead of the
 * encoder, so the re-animation overlaps this thread's reading, the motion weights and the
 * hand-over to ffmpeg), passed through elsewhere — then H.264 + the new audio.
 */
export async function renderPass(input: RenderPassInput): Promise<{
  frames: number;
  width: number;
  height: number;
  durationMs: number;
  timingsMs: Pick<DubTimings, 'decode' | 'motion' | 'render' | 'encode'>;
}> {
  const { store, feed, plan, scale, renderSize, options: o } = input;
  const { signal } = o;
  const width = input.sourceWidth - (input.sourceWidth % 2);
  const height = input.sourceHeight - (input.sourceHeight % 2);
  const timings = { decode: 0, motion: 0, render: 0, encode: 0 };
  const frames = () => plan.expectedFrames;
  const sourceBytes = input.sourceWidth * input.sourceHeight * 3;
  const reader = new SourceFrameReader(input.videoPath, sourceBytes, {
    chunkBytes: o.reverseChunkBytes,
    ...(input.keptFrames ? { frames: input.keptFrames } : {}),
    ...(signal ? { signal } : {}),
  });
  const renderer = await FrameRenderer.open(input.models.model, renderSize, o.thread, signal);
  const pool = new BufferPool();
  const pending: Pending[] = [];
  let writer: Mp4Writer | undefined;
  try {
    writer = await openWriter(input, width, height);
    const open = writer;
    const encodeNext = async () => {
      const next = pending.shift() as Pending;
      let t = performance.now();
      const rgb = await next.rgb;
      timings.render += performance.now() - t;
      o.onFrame?.(next.info);
      t = performance.now();
      await open.writeFrame(rgb, { signal });
      timings.encode += performance.now() - t;
      pool.release(rgb);
      const done = next.info.outputFrame + 1;
      input.report({
        stage: 'render',
        fraction: TRACK_SHARE + (1 - TRACK_SHARE) * 0.98 * Math.min(1, done / frames()),
        framesDone: done,
        framesTotal: Math.max(done, frames()),
      });
    };
    const landmarks = new Float32Array(FACE_VERTEX_COUNT * 2);
    const audioWeights = new Float32Array(BLENDSHAPE_COUNT);
    let k = 0;
    for (let step = await plan.at(0); step; step = await plan.at(++k)) {
      throwIfAborted(signal);
      const s = step.sourceFrame;
      const share = await feed.strength(s, o.rampFrames);
      let t = performance.now();
      const rgb = await reader.get(s, step.direction);
      timings.decode += performance.now() - t;
      const info: DubFrameInfo = { outputFrame: k, sourceFrame: s, dubbed: false };
      if (share > 0) {
        t = performance.now();
        input.mouth.weightsAt((k * 1000) / plan.fps, audioWeights);
        timings.motion += performance.now() - t;
        const record = await store.read(s);
        for (let i = 0; i < landmarks.length; i++)
          landmarks[i] = (record.landmarks[i] as number) * scale;
        // a frame of its own: the thread takes its buffer, and the reader's may be reused
        const frame = pool.take(sourceBytes);
        frame.set(rgb);
        const source: ReanimateSource = {
          rgb: frame,
          width: input.sourceWidth,
          height: input.sourceHeight,
          landmarks,
          weights: record.weights,
          pose: scalePose(record.pose, scale),
          identity: feed.view.identities[feed.view.shots[s] as number] as Float32Array,
        };
        pending.push({
          info,
          rgb: renderer.reanimate(source, audioWeights, share, info, width, height),
        });
      } else {
        const out = pool.take(width * height * 3);
        copyFrame(rgb, input.sourceWidth, out, width, height);
        pending.push({ info, rgb: Promise.resolve(out) });
      }
      // on this thread the mask a frame reports is valid only until the next re-animation
      while (pending.length > (renderer.threaded ? IN_FLIGHT : 0)) await encodeNext();
    }
    while (pending.length > 0) await encodeNext();
    input.report({ stage: 'finish', fraction: 0.99, framesDone: k, framesTotal: k }, true);
    const t = performance.now();
    const summary = await writer.finish({ signal });
    timings.encode += performance.now() - t;
    return {
      frames: summary.frames,
      width,
      height,
      durationMs: summary.durationMs,
      timingsMs: timings,
    };
  } finally {
    await Promise.allSettled(pending.map((p) => p.rgb));
    await renderer.close();
    await reader.close();
    await writer?.close();
  }
}

async function openWriter(input: RenderPassInput, width: number, height: number) {
  return Mp4Writer.open(input.outPath, {
    width,
    height,
    fps: input.plan.fps,
    audioPath: input.audioPath,
    // the audio is encoded alongside the frames (no mux after the last one) when the plan holds
    expectedFrames: input.plan.expectedFrames,
    crf: input.options.crf,
    signal: input.options.signal,
  }).catch((error: unknown) => {
    throw error instanceof Error && 'code' in error && error.code === 'ENCODE_BAD_OPTIONS'
      ? new DubError('DUB_OUTPUT_NOT_WRITABLE', error.message, { cause: error })
      : error;
  });
}

/**
 * Re-animates frames in their own buffers, on the shared reanimator thread or on this one;
 * fills each frame's info (the mask only on this thread, valid until the next frame).
 */
class FrameRenderer {
  readonly threaded: boolean;
  readonly #thread: ReanimatorThread | undefined;
  readonly #local: LowerFaceReanimator | undefined;

  private constructor(
    thread: ReanimatorThread | undefined,
    local: LowerFaceReanimator | undefined,
  ) {
    this.#thread = thread;
    this.#local = local;
    this.threaded = thread !== undefined;
  }

  static async open(
    model: FaceModel,
    sizePx: number,
    threaded: boolean,
    signal: AbortSignal | undefined,
  ): Promise<FrameRenderer> {
    if (!threaded) return new FrameRenderer(undefined, new LowerFaceReanimator(model, sizePx));
    return new FrameRenderer(await ReanimatorThread.start({ sizePx, signal }), undefined);
  }

  /** The re-animated frame (`outWidth` × `outHeight`); `info` gets what was done. */
  async reanimate(
    source: ReanimateSource,
    audioWeights: Float32Array,
    strength: number,
    info: DubFrameInfo,
    outWidth: number,
    outHeight: number,
  ): Promise<Uint8Array> {
    if (this.#thread) {
      const done = await this.#thread.reanimate(source, audioWeights, strength, {
        outWidth,
        outHeight,
      });
      Object.assign(info, { dubbed: true, ...done.result });
      return done.rgb;
    }
    const reanimator = this.#local as LowerFaceReanimator;
    const done = reanimateInPlace(reanimator, source, audioWeights, strength, outWidth, outHeight);
    Object.assign(info, { dubbed: true, ...done.result });
    return done.rgb;
  }

  async close(): Promise<void> {
    await this.#thread?.close();
    this.#local?.close();
  }
}

/** Frame buffers reused by size (a few of each). */
class BufferPool {
  readonly #free = new Map<number, Uint8Array[]>();

  take(bytes: number): Uint8Array {
    return this.#free.get(bytes)?.pop() ?? new Uint8Array(bytes);
  }

  release(buffer: Uint8Array): void {
    if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) return;
    const list = this.#free.get(buffer.byteLength) ?? [];
    if (list.length < IN_FLIGHT + 2) list.push(buffer);
    this.#free.set(buffer.byteLength, list);
  }
}
