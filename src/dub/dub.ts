import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { FACE_VERTEX_COUNT, type FaceLandmarker, type FaceModel } from '../face/index.ts';
import { Mp4Writer } from '../media/index.ts';
import type { MotionModel } from '../motion/index.ts';
import { MAX_RENDER_SIZE, MIN_RENDER_SIZE } from '../render/index.ts';
import { copyFrame } from './composite.ts';
import { DubError } from './errors.ts';
import { scalePose } from './geometry.ts';
import { inspectDubInputs } from './inputs.ts';
import { MouthTrack, openingScale } from './mouth-track.ts';
import {
  CROP_INTER_OCULAR,
  DUB_DEFAULTS,
  type DubOptions,
  type DubProgress,
  type DubRequest,
  dubRequestSchema,
} from './options.ts';
import { type FitMode, outputFrameCount, videoFrameAt } from './plan.ts';
import { FrameKeeper, SourceFrameReader } from './reader.ts';
import { LowerFaceReanimator } from './reanimate.ts';
import { dubStrength, type PassThroughRange, passThroughRanges, STATUS_ID } from './segments.ts';
import { buildTimeline, type SourceTimeline } from './timeline.ts';
import { TRACK_PASS_DEFAULTS, type TrackPassResult, trackSource } from './track.ts';
import { TrackStore } from './track-store.ts';

/** The loaded models a dub needs (shared across dubs; not closed by {@link dubVideo}). */
export interface DubModels {
  model: FaceModel;
  /** Loaded in video mode (`FaceLandmarker.load({ video: true, body: false })`). */
  landmarker: FaceLandmarker;
  motion: MotionModel;
}

/** What {@link dubVideo} produced. */
export interface DubResult {
  outPath: string;
  /** Output frames, rate and size (the source's; odd sides lose their last column/row). */
  frames: number;
  fps: number;
  width: number;
  height: number;
  /** Video duration, frames / fps, ms; the audio track is cut or padded to it. */
  durationMs: number;
  /** The new audio's duration, ms. */
  audioDurationMs: number;
  /** The source video's duration at the output rate, ms. */
  videoDurationMs: number;
  fit: FitMode;
  /** The source's frame rate varied (it is output at its fastest regular rate). */
  variableFrameRate: boolean;
  /** The new audio is digital silence throughout (every mouth closes). */
  silentAudio: boolean;
  sourceFrames: number;
  /** Source frames re-animated / passed through untouched. */
  dubbedSourceFrames: number;
  passThrough: PassThroughRange[];
  /** Where the source cuts to a new shot. */
  cuts: { frame: number; timeMs: number }[];
  /** Grid the mouth region was re-rendered on, px. */
  renderSizePx: number;
  /** How much the new mouth's opening was scaled to match this speaker's (1: not). */
  mouthOpeningScale: number;
  trackSizePx: { width: number; height: number };
  /** Wall time per stage, ms (decode, encode and ffmpeg's own work overlap with them). */
  timingsMs: DubTimings;
}

export interface DubTimings {
  /** Decoding the new audio once to measure it. */
  audio: number;
  /** Pass 1: decoding at tracking size, Human's detection, the fitter. */
  trackDecode: number;
  trackDetect: number;
  trackFit: number;
  /** Pass 2: waiting for full-size source frames. */
  decode: number;
  /** Mel features and the motion model. */
  motion: number;
  /** Geometry, renderer, mask and blend. */
  render: number;
  /** Waiting on the encoder, then finishing and muxing. */
  encode: number;
  total: number;
}

/**
 * Lip-sync translation: re-animates the mouth of `videoPath` to `audioPath`.
 *
 * 1. The new audio is decoded once (its exact length sets the output's).
 * 2. Pass 1 tracks every source frame at tracking size (track.ts): statuses, shots at cuts,
 *    and each dubbable frame's fit, written to a scratch track file.
 * 3. Pass 2 decodes the source again at full size (or, when it is no larger than the tracking
 *    size and fits in `keepFramesBytes`, uses pass 1's frames), in the order the fit mode needs, and for
 *    each dubbable frame: mouth and jaw weights from the motion model at that instant, every
 *    other weight the frame's own; the renderer warps the frame itself (its own reference)
 *    from its tracked mesh to the new mesh inside a square crop round the lower face, fills
 *    the mouth; the result is blended back with a feathered lower-face mask. Every other
 *    pixel, and every frame that cannot be dubbed, is the source's.
 * 4. H.264 at the source rate and size, the new audio muxed as AAC.
 *
 * Memory: a few frames (all of them, up to `keepFramesBytes`, for a source no larger than the
 * tracking size), the track file on disk (~4 KB per source frame), per-frame statuses.
 *
 * @example
 * const result = await dubVideo(models, { videoPath: 'talk.mp4', audioPath: 'es.wav', outPath: 'talk.es.mp4' });
 * console.log(result.passThrough); // ranges left untouched (no face, cuts…)
 */
export async function dubVideo(
  models: DubModels,
  request: DubRequest,
  options: DubOptions = {},
): Promise<DubResult> {
  const started = performance.now();
  const parsed = dubRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DubError(
      'DUB_BAD_OPTIONS',
      `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { fit } = parsed.data;
  const videoPath = resolve(parsed.data.videoPath);
  const audioPath = resolve(parsed.data.audioPath);
  const outPath = resolve(parsed.data.outPath);
  const o = { ...DUB_DEFAULTS, ...withoutUndefined(options) };
  const { signal } = options;
  throwIfAborted(signal);
  await checkOutputFolder(outPath);

  const report = progressReporter(options.onProgress);
  report({ stage: 'audio', fraction: 0, framesDone: 0, framesTotal: 0 }, true);
  let t = performance.now();
  const inputs = await inspectDubInputs(videoPath, audioPath, o, signal);
  const audioMs = performance.now() - t;
  const { width: sourceWidth, height: sourceHeight, durationMs: declaredMs } = inputs.video;
  const audio = inputs.audio;
  t = performance.now();
  const mouth = o.mouthControls
    ? MouthTrack.fromControls(o.mouthControls)
    : await MouthTrack.fromAudio(models.motion, audioPath, {
        maxDurationMs: o.maxAudioDurationMs,
        ...(signal ? { signal } : {}),
      });
  const motionMs = performance.now() - t;

  const work = await mkdtemp(join(o.workDir ?? tmpdir(), 'facecast-dub-'));
  const store = await TrackStore.create(join(work, 'track.bin'));
  // pass 1's frames, for pass 2, when they are full size and fit in memory
  const keeper = new FrameKeeper(sourceWidth, sourceHeight, o.keepFramesBytes);
  try {
    // Source px per tracking px (tracking frames have their longest side at most trackSizePx).
    const longest = Math.max(sourceWidth, sourceHeight);
    const approxScale =
      longest / Math.min(o.trackSizePx ?? TRACK_PASS_DEFAULTS.trackSizePx, longest);
    const tracked = await trackSource(videoPath, models.landmarker, models.model, store, {
      ...options,
      sourceScale: approxScale,
      signal,
      maxFrames: Math.ceil((o.maxVideoDurationMs / 1000) * 240),
      // A shorter audio needs only the start of the video (plus a frame of margin).
      stopAfterMs: audio.durationMs + 200,
      onDecodedFrame: (frame) => keeper.add(frame),
      onProgress: (done, expected) =>
        report({
          stage: 'track',
          fraction: TRACK_SHARE * Math.min(1, done / Math.max(1, expected ?? done)),
          framesDone: done,
          framesTotal: Math.max(done, expected ?? done),
        }),
    });
    const scale = sourceWidth / tracked.trackWidth;
    const dubbable = tracked.statuses.reduce((n, s) => n + (s === STATUS_ID.dubbed ? 1 : 0), 0);
    if (dubbable === 0) {
      throw new DubError(
        'DUB_NO_FACE',
        `no frame of the video shows a face that can be re-animated (${describeStatuses(tracked)})`,
        { details: { sourceFrames: tracked.statuses.length } },
      );
    }
    const timeline = buildTimeline(tracked.timesMs);
    if (timeline.durationMs > o.maxVideoDurationMs) {
      throw new DubError(
        'DUB_VIDEO_TOO_LONG',
        `the video lasts ${(timeline.durationMs / 1000).toFixed(1)} s; at most ${o.maxVideoDurationMs / 1000} s is accepted`,
        { details: { durationMs: timeline.durationMs, maxDurationMs: o.maxVideoDurationMs } },
      );
    }
    const frames = outputFrameCount(audio.durationMs, timeline.fps, timeline.frames, fit);
    if (!o.mouthControls && o.matchOpening) {
      const sourceGaps = tracked.mouthGaps.filter(
        (_, i) => tracked.statuses[i] === STATUS_ID.dubbed,
      );
      mouth.setOpeningScale(openingScale(sourceGaps, mouth.openings(models.model)));
    }
    const renderSize = o.renderSizePx ?? chooseRenderSize(tracked, scale);
    const pass2 = await renderPass({
      mouth,
      models,
      store,
      tracked,
      timeline,
      scale,
      fit,
      frames,
      renderSize,
      videoPath,
      audioPath,
      outPath,
      keptFrames: keeper.frames,
      sourceWidth,
      sourceHeight,
      options: o,
      report,
    });
    const passThrough = passThroughRanges(tracked.statuses, tracked.timesMs, timeline.durationMs);
    return {
      outPath,
      frames: pass2.frames,
      fps: timeline.fps,
      width: pass2.width,
      height: pass2.height,
      durationMs: pass2.durationMs,
      audioDurationMs: audio.durationMs,
      videoDurationMs:
        tracked.stoppedEarly && declaredMs !== undefined ? declaredMs : timeline.durationMs,
      fit,
      variableFrameRate: timeline.variable,
      silentAudio: audio.silent,
      sourceFrames: tracked.statuses.length,
      dubbedSourceFrames: dubbable,
      passThrough,
      cuts: tracked.cuts.map((frame) => ({
        frame,
        timeMs: Math.round((tracked.timesMs[frame] as number) * 10) / 10,
      })),
      renderSizePx: renderSize,
      mouthOpeningScale: Math.round(mouth.openingScale * 1000) / 1000,
      trackSizePx: { width: tracked.trackWidth, height: tracked.trackHeight },
      timingsMs: {
        audio: audioMs,
        trackDecode: tracked.timingsMs.decode,
        trackDetect: tracked.timingsMs.detect,
        trackFit: tracked.timingsMs.fit,
        ...pass2.timingsMs,
        motion: pass2.timingsMs.motion + motionMs,
        total: performance.now() - started,
      },
    };
  } finally {
    keeper.clear();
    await store.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** Share of the progress bar given to tracking (it dominates the time on CPU). */
const TRACK_SHARE = 0.6;

interface RenderPassInput {
  mouth: MouthTrack;
  models: DubModels;
  store: TrackStore;
  tracked: TrackPassResult;
  timeline: SourceTimeline;
  /** Source px per tracking px. */
  scale: number;
  fit: FitMode;
  frames: number;
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

async function renderPass(input: RenderPassInput): Promise<{
  frames: number;
  width: number;
  height: number;
  durationMs: number;
  timingsMs: Pick<DubTimings, 'decode' | 'motion' | 'render' | 'encode'>;
}> {
  const { models, store, tracked, timeline, scale, fit, frames, renderSize, options: o } = input;
  const { signal } = o;
  const model = models.model;
  const width = input.sourceWidth - (input.sourceWidth % 2);
  const height = input.sourceHeight - (input.sourceHeight % 2);
  const timings = { decode: 0, motion: 0, render: 0, encode: 0 };
  const strength = dubStrength(tracked.statuses, tracked.shots, o.rampFrames);
  const reader = new SourceFrameReader(
    input.videoPath,
    input.sourceWidth * input.sourceHeight * 3,
    {
      chunkBytes: o.reverseChunkBytes,
      ...(input.keptFrames ? { frames: input.keptFrames } : {}),
      ...(signal ? { signal } : {}),
    },
  );
  const mouth = input.mouth;
  let writer: Mp4Writer | undefined;
  const reanimator = new LowerFaceReanimator(model, renderSize);
  try {
    writer = await Mp4Writer.open(input.outPath, {
      width,
      height,
      fps: timeline.fps,
      audioPath: input.audioPath,
      crf: o.crf,
      signal,
    }).catch((error: unknown) => {
      throw error instanceof Error && 'code' in error && error.code === 'ENCODE_BAD_OPTIONS'
        ? new DubError('DUB_OUTPUT_NOT_WRITABLE', error.message, { cause: error })
        : error;
    });
    const out = new Uint8Array(width * height * 3);
    const landmarks = new Float32Array(FACE_VERTEX_COUNT * 2);
    const audioWeights = new Float32Array(BLENDSHAPE_COUNT);
    let previousVideoFrame = -1;

    for (let k = 0; k < frames; k++) {
      throwIfAborted(signal);
      const j = videoFrameAt(k, timeline.frames, fit);
      const s = timeline.sourceIndexAt(j);
      const direction = j < previousVideoFrame && fit === 'pingpong' ? 'backward' : 'forward';
      previousVideoFrame = j;
      let t = performance.now();
      const rgb = await reader.get(s, direction);
      timings.decode += performance.now() - t;
      copyFrame(rgb, input.sourceWidth, out, width, height);
      const share = strength[s] as number;
      let info: Parameters<NonNullable<DubOptions['onFrame']>>[0] = {
        outputFrame: k,
        sourceFrame: s,
        dubbed: false,
      };
      if (share > 0) {
        t = performance.now();
        mouth.weightsAt((k * 1000) / timeline.fps, audioWeights);
        timings.motion += performance.now() - t;
        t = performance.now();
        const record = await store.read(s);
        for (let i = 0; i < landmarks.length; i++)
          landmarks[i] = (record.landmarks[i] as number) * scale;
        const done = reanimator.reanimate(
          {
            rgb,
            width: input.sourceWidth,
            height: input.sourceHeight,
            landmarks,
            weights: record.weights,
            pose: scalePose(record.pose, scale),
            identity: tracked.identities[tracked.shots[s] as number] as Float32Array,
          },
          audioWeights,
          share,
          out,
          width,
          height,
        );
        timings.render += performance.now() - t;
        info = { ...info, dubbed: true, ...done };
      }
      o.onFrame?.(info);
      t = performance.now();
      await writer.writeFrame(out, { signal });
      timings.encode += performance.now() - t;
      input.report({
        stage: 'render',
        fraction: TRACK_SHARE + (1 - TRACK_SHARE) * 0.98 * ((k + 1) / frames),
        framesDone: k + 1,
        framesTotal: frames,
      });
    }
    input.report(
      { stage: 'finish', fraction: 0.99, framesDone: frames, framesTotal: frames },
      true,
    );
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
    reanimator.close();
    await reader.close();
    await writer?.close();
  }
}

/**
 * The render grid: the crop's own size for most frames (the 75th percentile of the tracked
 * faces: no resampling there; closer faces are rendered slightly downscaled), within the
 * renderer's 256–1024 px.
 */
function chooseRenderSize(tracked: TrackPassResult, scale: number): number {
  const sides: number[] = [];
  tracked.interOcularPx.forEach((iod, i) => {
    if (tracked.statuses[i] === STATUS_ID.dubbed && Number.isFinite(iod)) {
      sides.push(Math.ceil(CROP_INTER_OCULAR * iod * scale));
    }
  });
  sides.sort((a, b) => a - b);
  const p75 = sides[Math.floor(0.75 * (sides.length - 1))] ?? MIN_RENDER_SIZE;
  const even = 2 * Math.ceil(p75 / 2);
  return Math.min(MAX_RENDER_SIZE, Math.max(MIN_RENDER_SIZE, even));
}

async function checkOutputFolder(outPath: string): Promise<void> {
  const folder = dirname(outPath);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new DubError('DUB_OUTPUT_NOT_WRITABLE', `the output folder ${folder} does not exist`);
  }
  const existing = await stat(outPath).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new DubError('DUB_OUTPUT_NOT_WRITABLE', `${outPath} is a folder`);
  }
}

function describeStatuses(tracked: TrackPassResult): string {
  const counts = new Map<string, number>();
  for (const range of passThroughRanges(tracked.statuses, tracked.timesMs, 0)) {
    counts.set(
      range.reason,
      (counts.get(range.reason) ?? 0) + range.lastFrame - range.firstFrame + 1,
    );
  }
  return [...counts].map(([reason, n]) => `${n} frames ${reason}`).join(', ') || 'no frames';
}

/** Progress at most every 200 ms (always on stage changes and when forced). */
function progressReporter(
  onProgress: ((p: DubProgress) => void) | undefined,
): (p: DubProgress, force?: boolean) => void {
  let lastMs = 0;
  let lastStage = '';
  return (p, force = false) => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && p.stage === lastStage && now - lastMs < 200) return;
    lastMs = now;
    lastStage = p.stage;
    onProgress(p);
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
