import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { throwIfAborted } from '../core/index.ts';
import type { FaceLandmarker, FaceModel } from '../face/index.ts';
import type { MotionModel } from '../motion/index.ts';
import { MAX_RENDER_SIZE, MIN_RENDER_SIZE } from '../render/index.ts';
import { DubError } from './errors.ts';
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
import { OutputPlan, PlanChanged } from './output-plan.ts';
import type { FitMode } from './plan.ts';
import { FrameKeeper } from './reader.ts';
import { renderPass, TRACK_SHARE } from './render-pass.ts';
import { type PassThroughRange, passThroughRanges, STATUS_ID } from './segments.ts';
import { buildTimeline, type SourceTimeline } from './timeline.ts';
import { TRACK_PASS_DEFAULTS, type TrackPassResult, trackSource } from './track.ts';
import { TrackFeed, type TrackView } from './track-feed.ts';
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
  /** Mel features and the motion model (over the new audio it runs while pass 1 tracks). */
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
  if (!(o.statsFrames >= 1)) {
    throw new DubError('DUB_BAD_OPTIONS', `statsFrames: ${o.statsFrames} is not at least 1`);
  }
  const { signal } = options;
  throwIfAborted(signal);
  await checkOutputFolder(outPath);

  const report = progressReporter(options.onProgress);
  report({ stage: 'audio', fraction: 0, framesDone: 0, framesTotal: 0 }, true);
  const t = performance.now();
  // the audio is decoded once: the check keeps its samples for the motion model (≤ 38 MB at
  // the 10 min limit) unless the mouth comes from given Controls
  const inputs = await inspectDubInputs(videoPath, audioPath, o, signal, {
    keepPcm: !o.mouthControls,
  });
  const audioMs = performance.now() - t;
  const { width: sourceWidth, height: sourceHeight, durationMs: declaredMs } = inputs.video;
  const audio = inputs.audio;
  // The motion model runs while pass 1 tracks (it fills the main thread's waits for
  // landmarks and frames); pass 2 is the first to need it.
  let motionMs = 0;
  const mouthReady = (async () => {
    const t0 = performance.now();
    const track = o.mouthControls
      ? MouthTrack.fromControls(o.mouthControls)
      : await MouthTrack.fromAudio(models.motion, audio.pcm ?? audioPath, {
          maxDurationMs: o.maxAudioDurationMs,
          ...(signal ? { signal } : {}),
        });
    motionMs = performance.now() - t0;
    return track;
  })();
  mouthReady.catch(() => undefined); // awaited after pass 1 (or abandoned when it fails)

  const work = await mkdtemp(join(o.workDir ?? tmpdir(), 'facecast-dub-'));
  const store = await TrackStore.create(join(work, 'track.bin'));
  // pass 1's frames, for pass 2, when they are full size and fit in memory
  const keeper = new FrameKeeper(sourceWidth, sourceHeight, o.keepFramesBytes);
  const feed = new TrackFeed();
  // stops pass 1 when pass 2 fails while both run
  const stop = new AbortController();
  const trackSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const pass1 = (async () => {
    // Source px per tracking px (tracking frames have their longest side at most trackSizePx).
    const longest = Math.max(sourceWidth, sourceHeight);
    const approxScale =
      longest / Math.min(o.trackSizePx ?? TRACK_PASS_DEFAULTS.trackSizePx, longest);
    const tracked = await trackSource(videoPath, models.landmarker, models.model, store, {
      ...options,
      sourceScale: approxScale,
      signal: trackSignal,
      maxFrames: Math.ceil((o.maxVideoDurationMs / 1000) * 240),
      // A shorter audio needs only the start of the video (plus a frame of margin).
      stopAfterMs: audio.durationMs + 200,
      onDecodedFrame: (frame) => keeper.add(frame),
      onSettled: (soFar) => feed.update(soFar),
      onProgress: (done, expected) =>
        report({
          stage: 'track',
          fraction: TRACK_SHARE * Math.min(1, done / Math.max(1, expected ?? done)),
          framesDone: done,
          framesTotal: Math.max(done, expected ?? done),
        }),
    });
    return { tracked, timeline: checkTracked(tracked, o.maxVideoDurationMs) };
  })();
  pass1.then(
    ({ tracked }) => feed.end(tracked),
    (error: unknown) => feed.fail(error),
  );
  try {
    // Render size and opening scale from the first frames, with or without the overlap (so
    // both give the same video); pass 2 starts then, or once pass 1 has ended.
    await feed.settled(o.statsFrames);
    if (!o.overlap) await pass1;
    const start = feed.view;
    const scale = sourceWidth / start.trackWidth;
    const mouth = await mouthReady;
    if (!o.mouthControls && o.matchOpening) {
      const sourceGaps = dubbedValues(start, start.mouthGaps, o.statsFrames);
      mouth.setOpeningScale(openingScale(sourceGaps, mouth.openings(models.model)));
    }
    const renderSize = o.renderSizePx ?? chooseRenderSize(start, scale, o.statsFrames);
    const pass2Of = (plan: OutputPlan) =>
      renderPass({
        mouth,
        models,
        store,
        feed,
        plan,
        scale,
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
    let pass2: Awaited<ReturnType<typeof renderPass>>;
    try {
      pass2 = await pass2Of(new OutputPlan(feed, audio.durationMs, fit));
    } catch (error) {
      if (!(error instanceof PlanChanged)) throw error;
      // the clip's start misled the plan (a variable frame rate): again, from the whole clip
      await pass1;
      pass2 = await pass2Of(new OutputPlan(feed, audio.durationMs, fit));
    }
    const { tracked, timeline } = await pass1;
    const dubbable = tracked.statuses.reduce((n, s) => n + (s === STATUS_ID.dubbed ? 1 : 0), 0);
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
    stop.abort();
    await pass1.catch(() => undefined);
    keeper.clear();
    await store.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** The whole clip's timeline; throws when no frame can be dubbed or the video is too long. */
function checkTracked(tracked: TrackPassResult, maxVideoDurationMs: number): SourceTimeline {
  if (!tracked.statuses.includes(STATUS_ID.dubbed)) {
    throw new DubError(
      'DUB_NO_FACE',
      `no frame of the video shows a face that can be re-animated (${describeStatuses(tracked)})`,
      { details: { sourceFrames: tracked.statuses.length } },
    );
  }
  const timeline = buildTimeline(tracked.timesMs);
  if (timeline.durationMs > maxVideoDurationMs) {
    throw new DubError(
      'DUB_VIDEO_TOO_LONG',
      `the video lasts ${(timeline.durationMs / 1000).toFixed(1)} s; at most ${maxVideoDurationMs / 1000} s is accepted`,
      { details: { durationMs: timeline.durationMs, maxDurationMs: maxVideoDurationMs } },
    );
  }
  return timeline;
}

/**
 * `values` of the dubbable frames among the first `frames` (as float32, the finished pass's
 * precision, so a running and a finished pass 1 give the same).
 */
function dubbedValues(view: TrackView, values: ArrayLike<number>, frames: number): number[] {
  const out: number[] = [];
  const n = Math.min(frames, view.settledFrames);
  for (let i = 0; i < n; i++) {
    if (view.statuses[i] === STATUS_ID.dubbed) out.push(Math.fround(values[i] as number));
  }
  return out;
}

/**
 * The render grid: the crop's own size for most frames (the 75th percentile of the faces
 * tracked in the first `frames` frames: no resampling there; closer faces are rendered
 * slightly downscaled), within the renderer's 256–1024 px.
 */
function chooseRenderSize(view: TrackView, scale: number, frames: number): number {
  const sides = dubbedValues(view, view.interOcularPx, frames)
    .filter((iod) => Number.isFinite(iod))
    .map((iod) => Math.ceil(CROP_INTER_OCULAR * iod * scale));
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

/**
 * Progress at most every 200 ms (always on stage changes and when forced), never backwards
 * (pass 1 still reports while pass 2 runs).
 */
function progressReporter(
  onProgress: ((p: DubProgress) => void) | undefined,
): (p: DubProgress, force?: boolean) => void {
  let lastMs = 0;
  let lastStage = '';
  let lastFraction = 0;
  return (p, force = false) => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && p.fraction < lastFraction) return;
    if (!force && p.stage === lastStage && now - lastMs < 200) return;
    lastFraction = Math.max(lastFraction, p.fraction);
    lastMs = now;
    lastStage = p.stage;
    onProgress(p);
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
