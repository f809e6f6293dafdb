export { EvaluationError, type EvaluationErrorCode } from './errors.ts';
export {
  FlickerMeter,
  FrameScorer,
  lumaOf,
  psnrFromMse,
  type Region,
  STATIC_LUMA_DELTA,
} from './metrics.ts';
export {
  type ReenactedFrame,
  type ReenactOptions,
  reenactFrames,
  reenactRenderSize,
} from './reenact.ts';
export {
  bodyRelativeTo,
  reenactmentControls,
  type TrackedReference,
} from './reenact-controls.ts';
export {
  type ArmScores,
  type ReenactmentScores,
  type ScoreReenactmentOptions,
  scoreReenactment,
} from './score.ts';
export {
  type ClipTrack,
  clipTrackSchema,
  readClipTrack,
  type TrackClipOptions,
  trackClip,
  writeClipTrack,
} from './track.ts';
