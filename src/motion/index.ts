export { IDLE_DEFAULTS, type IdleFrame, IdleLife, type IdleOptions, mulberry32 } from './idle.ts';
export {
  GAZE_OFFSET,
  HEAD_OFFSET,
  MEL_FRAMES_PER_TOKEN,
  MEL_HOP_PER_FRAME,
  MEL_SILENCE,
  MOTION_OUTPUT_COUNT,
  MOTION_OUTPUTS,
  type MotionOutput,
} from './layout.ts';
export {
  type CoarticulationOptions,
  type TimedPhoneme,
  VISEME_TARGETS,
  VISEMES,
  type Viseme,
  type VisemeSegment,
  visemeSegments,
  visemesOfPhoneme,
  visemeWeights,
} from './visemes.ts';
