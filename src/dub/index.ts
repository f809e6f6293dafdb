export { copyFrame } from './composite.ts';
export { type DubModels, type DubResult, type DubTimings, dubVideo } from './dub.ts';
export { Dubber, type DubberOptions } from './dubber.ts';
export { DubError, type DubErrorCode } from './errors.ts';
export { type LipSyncScore, lipSyncScore, mouthOpening } from './evaluate.ts';
export { type DubInputs, type DubLimits, inspectDubInputs } from './inputs.ts';
export {
  DUB_OUTPUT_FILE,
  type DubJobInput,
  type DubJobQueue,
  type DubJobRequest,
  type DubJobResult,
  dubJobInputSchema,
  dubJobResultSchema,
  dubJobRunner,
  isDubJobInput,
  submitDubJob,
} from './job.ts';
export { AUDIO_DRIVEN, mergeWeights } from './merge.ts';
export {
  DUB_DEFAULTS,
  type DubFrameInfo,
  type DubOptions,
  type DubProgress,
  type DubRequest,
  dubRequestSchema,
} from './options.ts';
export { FIT_MODES, type FitMode, fitModeSchema, outputFrameCount, videoFrameAt } from './plan.ts';
export {
  drawInPlace,
  type InteriorPainter,
  type InteriorPaintInput,
  LowerFaceReanimator,
  type MouthBankPainter,
  mouthBankPainter,
  type PlanSource,
  type ReanimatePlan,
  type ReanimateResult,
  type ReanimateSource,
  reanimateInPlace,
  widenInnerLips,
} from './reanimate.ts';
export {
  ReanimatorThread,
  type ReanimatorThreadOptions,
  type ThreadReanimated,
  type ThreadReanimateResult,
} from './reanimate-thread.ts';
export {
  FRAME_STATUSES,
  type FrameStatus,
  type PassThroughRange,
  STATUS_ID,
} from './segments.ts';
export { buildTimeline, type SourceTimeline } from './timeline.ts';
export {
  TRACK_PASS_DEFAULTS,
  type TrackPassOptions,
  type TrackPassResult,
  type TrackSoFar,
  trackSource,
} from './track.ts';
export { type TrackRecord, TrackStore } from './track-store.ts';
