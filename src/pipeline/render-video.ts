import {
  AUDIO_PIECE_SAMPLES,
  type AudioReader,
  fixedPieces,
  openAudio,
  PIPELINE_SAMPLE_RATE,
} from '../audio/index.ts';
import { type BodyModel, BodyStream } from '../body/index.ts';
import { type ControlsFrame, FRAME_DURATION_MS } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import type { Generator } from '../generator/index.ts';
import { Mp4Writer, X264_FOOTAGE_PARAMS } from '../media/index.ts';
import type { MotionModel } from '../motion/index.ts';
import type { MouthBankPaintOptions } from '../mouthbank/index.ts';
import type { ReplicaPlayerPool } from '../replica/index.ts';
import { PipelineError } from './errors.ts';
import { DEFAULT_RENDER_THREADS, type FrameRenderer, openFrameRenderer } from './frame-renderer.ts';
import { DEFAULT_SIZE_PX, type StageTimings } from './job.ts';

/** Samples of 16 kHz audio per 25 fps video frame. */
const SAMPLES_PER_FRAME = (PIPELINE_SAMPLE_RATE * FRAME_DURATION_MS) / 1000;
/**
 * Controls frames held back before rendering, so that frames the motion model emits past the
 * audio's end can be dropped: the video gets exactly round(duration / 40 ms) frames.
 */
const HOLD_BACK_FRAMES = 3;

/** What to render. */
export interface RenderVideoRequest {
  /**
   * An avatar folder from `facecast avatar create`: a photo avatar (`profile.json` +
   * `image.png`) or a video avatar (`replica.json` + footage).
   */
  avatarDir: string;
  /** Speech in any format ffmpeg reads. */
  audioPath: string;
  /** Where the MP4 goes (written to a temporary name, renamed when complete). */
  outPath: string;
  /** Longer side of the video, px. Default 512. */
  sizePx?: number;
  /** Seed of the idle motion (blinks, sway). Default 0. */
  seed?: number;
}

/** Progress of one render, reported every few frames. */
export interface RenderVideoProgress {
  stage: 'prepare' | 'render' | 'finish';
  /** Fraction of the render done, 0–1. */
  fraction: number;
  framesDone: number;
  /** Expected frame count (exact once the audio is decoded). */
  framesTotal: number;
}

export interface RenderVideoOptions {
  signal?: AbortSignal;
  onProgress?: (progress: RenderVideoProgress) => void;
  /** Expected speech duration in ms (for progress); probed from the file when absent. */
  expectedDurationMs?: number;
  /** Longest accepted audio, ms. Default 1 hour. */
  maxDurationMs?: number;
  /** Worker threads that render frames; 0 (the default) renders on the calling thread. */
  renderThreads?: number;
  /**
   * A loaded generator (src/generator): frames go through generator + super-resolution after
   * the warp (on the calling thread; `renderThreads` is then ignored). Default: warp-only.
   * Choose it with `resolveGenerator` (`--generator on|off|auto`).
   */
  generator?: Generator;
  /**
   * The body model (src/body): when given, the upper body (neck, shoulders, arms and the
   * torso sway) is predicted from the same speech, chunk by chunk, and the photo renderer
   * moves the neck and shoulders with it. Default: none (the shoulders only breathe).
   */
  body?: BodyModel;
  /**
   * A video avatar's mouth-bank paint (src/mouthbank `MouthBankPaintOptions`): a bench's arm.
   * Default: the bank's defaults. Photo avatars ignore it.
   */
  mouthBankPaint?: MouthBankPaintOptions;
  /**
   * Opened video-avatar players kept between renders (src/replica `ReplicaPlayerPool`):
   * the player is taken from and given back to it. Default: none (opened and closed here).
   */
  replicas?: ReplicaPlayerPool;
}

/** What {@link renderVideo} produced. */
export interface RenderVideoResult {
  outPath: string;
  frames: number;
  /** Video (and audio) duration: frames × 40 ms. */
  durationMs: number;
  /** Decoded speech duration (the video is within half a frame of it). */
  audioDurationMs: number;
  width: number;
  height: number;
  /**
   * `warp`: warp-only composite; `generator`: generator + super-resolution over the face;
   * `replica`: a video avatar's footage with the mouth re-animated.
   */
  renderer: 'warp' | 'generator' | 'replica';
  /** Wall time per stage; stages overlap with ffmpeg's own process, see docs. */
  timingsMs: Omit<StageTimings, 'tts'>;
}

/**
 * Renders an avatar speaking an audio file into an H.264 + AAC MP4, streamed end to end:
 * audio chunks are decoded, turned into Controls by the motion stream, rendered warp-only
 * and written to the encoder frame by frame, so memory does not grow with the length.
 * Video frame i shows the Controls of the instant i × 40 ms; the frame count is
 * round(audio duration / 40 ms) and the AAC track is cut/padded to exactly that length.
 *
 * @example
 * const motion = await MotionModel.load();
 * await renderVideo(motion, { avatarDir: 'avatars/anna', audioPath: 'hi.wav', outPath: 'hi.mp4' });
 */
export async function renderVideo(
  motion: MotionModel,
  request: RenderVideoRequest,
  options: RenderVideoOptions = {},
): Promise<RenderVideoResult> {
  throwIfAborted(options.signal);
  const { signal } = options;
  const startedMs = performance.now();
  const renderer = await openFrameRenderer(request.avatarDir, {
    sizePx: request.sizePx ?? DEFAULT_SIZE_PX,
    threads: options.renderThreads ?? DEFAULT_RENDER_THREADS,
    ...(signal ? { signal } : {}),
    ...(options.generator ? { generator: options.generator } : {}),
    seed: request.seed ?? 0,
    ...(options.mouthBankPaint ? { mouthBankPaint: options.mouthBankPaint } : {}),
    ...(options.replicas ? { replicas: options.replicas } : {}),
  });
  let writer: Mp4Writer | undefined;
  try {
    const reader = await openAudio(request.audioPath, {
      signal,
      ...(options.maxDurationMs ? { maxDurationMs: options.maxDurationMs } : {}),
    });
    const expectedMs = options.expectedDurationMs ?? reader.source.declaredDurationMs ?? 0;
    writer = await Mp4Writer.open(request.outPath, {
      width: renderer.width,
      height: renderer.height,
      audioPath: request.audioPath,
      // the audio is encoded alongside the frames when the count is as expected
      ...(expectedMs > 0 ? { expectedFrames: expectedFrameCount(expectedMs) } : {}),
      // A video avatar already keeps both cores busy (its reanimator thread, this thread):
      // one x264 thread costs a quarter less CPU than x264's own choice, same pictures. Its
      // frames are camera footage: X264_FOOTAGE_PARAMS (not for rendered photo avatars).
      ...(renderer.kind === 'replica' ? { threads: 1, x264Params: X264_FOOTAGE_PARAMS } : {}),
      signal,
    }).catch((error: unknown) => {
      throw error instanceof Error && 'code' in error && error.code === 'ENCODE_BAD_OPTIONS'
        ? new PipelineError('OUTPUT_NOT_WRITABLE', error.message, { cause: error })
        : error;
    });
    return await streamFrames(motion, renderer, reader, writer, request, options, {
      expectedMs,
      startedMs,
    });
  } finally {
    await renderer.close();
    await writer?.close();
  }
}

/** The streaming loop: audio chunks → motion → render → encoder, then the exact tail. */
async function streamFrames(
  motion: MotionModel,
  renderer: FrameRenderer,
  reader: AudioReader,
  writer: Mp4Writer,
  request: RenderVideoRequest,
  options: RenderVideoOptions,
  { expectedMs, startedMs }: { expectedMs: number; startedMs: number },
): Promise<RenderVideoResult> {
  const { signal, onProgress } = options;
  const timings = { decode: 0, motion: 0, render: 0, encode: 0 };
  let framesTotal = expectedFrameCount(expectedMs);
  const stream = motion.createStream({ seed: request.seed ?? 0 });
  const body = options.body ? new BodyStream(options.body, { seed: request.seed ?? 0 }) : undefined;
  const pending: ControlsFrame[] = [];
  let samples = 0;
  let lastFrame: ControlsFrame | undefined;
  let lastReportMs = 0;

  const report = (stage: RenderVideoProgress['stage'], force = false) => {
    const now = performance.now();
    if (!onProgress || (!force && now - lastReportMs < 250)) return;
    lastReportMs = now;
    const framesDone = writer.framesWritten;
    onProgress({
      stage,
      fraction: Math.min(1, framesDone / Math.max(framesTotal, 1)),
      framesDone,
      framesTotal: Math.max(framesTotal, framesDone),
    });
  };

  // Frames in flight to the renderer, oldest first; each is written before the next past
  // `maxInFlight` is asked for, so memory stays at a few frames.
  const inFlight: Promise<Uint8Array>[] = [];
  let submitted = 0;
  const writeOldest = async () => {
    let t = performance.now();
    const rgb = await (inFlight.shift() as Promise<Uint8Array>);
    timings.render += performance.now() - t;
    t = performance.now();
    await writer.writeFrame(rgb, { signal });
    timings.encode += performance.now() - t;
  };
  const emit = async (frame: ControlsFrame) => {
    const t = performance.now();
    const rendering = renderer.render(frame);
    timings.render += performance.now() - t;
    // A rejected frame is rethrown when it is awaited in order; don't report it twice.
    rendering.catch(() => undefined);
    inFlight.push(rendering);
    submitted++;
    lastFrame = frame;
    while (inFlight.length >= renderer.maxInFlight) await writeOldest();
  };

  try {
    report('prepare', true);
    // fixed pieces: the same audio gives the same video whatever chunks the decoder delivers
    const chunks = fixedPieces(reader, AUDIO_PIECE_SAMPLES)[Symbol.asyncIterator]();
    for (;;) {
      let t = performance.now();
      const next = await chunks.next();
      timings.decode += performance.now() - t;
      if (next.done) break;
      samples += next.value.length;
      t = performance.now();
      const out = await stream.process({ pcm: next.value }, { signal });
      body?.pushAudio(next.value);
      pending.push(...(body ? await body.process(out.frames, { signal }) : out.frames));
      timings.motion += performance.now() - t;
      while (pending.length > HOLD_BACK_FRAMES) await emit(pending.shift() as ControlsFrame);
      report('render');
    }
    let t = performance.now();
    const tail = (await stream.flush({ signal })).frames;
    body?.endAudio();
    pending.push(...(body ? await body.process(tail, { signal }) : tail));
    timings.motion += performance.now() - t;
    framesTotal = Math.max(1, Math.round(samples / SAMPLES_PER_FRAME));
    while (submitted < framesTotal) {
      const frame = pending.shift() ?? lastFrame;
      if (!frame) throw new PipelineError('PIPELINE_BAD_OPTIONS', 'the audio produced no frames');
      await emit(frame);
    }
    await renderer.flush();
    while (inFlight.length > 0) await writeOldest();
    report('finish', true);
    t = performance.now();
    const summary = await writer.finish({ signal });
    timings.encode += performance.now() - t;
    return {
      outPath: summary.path,
      frames: summary.frames,
      durationMs: summary.durationMs,
      audioDurationMs: (samples / PIPELINE_SAMPLE_RATE) * 1000,
      width: renderer.width,
      height: renderer.height,
      renderer: renderer.kind,
      timingsMs: { ...timings, total: performance.now() - startedMs },
    };
  } finally {
    stream.close();
    body?.close();
  }
}

/** Frames of a video as long as `durationMs` of audio (at least one). */
function expectedFrameCount(durationMs: number): number {
  return Math.max(1, Math.round(durationMs / FRAME_DURATION_MS));
}
