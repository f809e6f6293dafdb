export { type ComposeOptions, ControlsComposer, MOUTH_OPENING, openingFactor } from './compose.ts';
export { MotionCore, type MotionCoreOptions, type MotionRows } from './core.ts';
export { MotionError, type MotionErrorCode } from './errors.ts';
export { IDLE_DEFAULTS, type IdleFrame, IdleLife, type IdleOptions, mulberry32 } from './idle.ts';
export {
  GAZE_OFFSET,
  HEAD_OFFSET,
  MEL_FRAMES_PER_TOKEN,
  MEL_HOP_PER_FRAME,
  MEL_SILENCE,
  MOTION_OUTPUT_COUNT,
  MOTION_OUTPUTS,
  type MotionOutput as MotionOutputName,
} from './layout.ts';
export { type MotionManifest, motionManifestSchema, readMotionManifest } from './manifest.ts';
export { lipAperture, pearson } from './metrics.ts';
export { DEFAULT_MOTION_MODEL_DIR, MotionModel, type MotionModelOptions } from './model.ts';
export { type AnimateOptions, type AnimateResult, animateAudio } from './offline.ts';
export {
  type MotionInput,
  type MotionOutput,
  MotionStream,
  type MotionStreamOptions,
  motionFrames,
} from './stream.ts';
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
