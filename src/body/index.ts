/**
 * Body stage: speech (and the head's motion) → upper-body Controls (neck roll, shoulders,
 * elbows, wrists), with a small causal network trained on tracked half-body speakers
 * (models/body). Tracking the body from video lives in src/face (trackVideo), which drives
 * the shoulders by the chest's own motion measured here (chest.ts).
 */
export {
  ACCENT_DEFAULTS,
  type AccentParams,
  accentFrames,
  BeatAccent,
  strokeShape,
} from './accent.ts';
export {
  type AnimateBodyOptions,
  animateBody,
  type BodyAudio,
  bodyAudioFeatures,
  bodyInputs,
} from './animate.ts';
export { addBodyRows, bodyTargets } from './channels.ts';
export {
  type ChestAnchor,
  type ChestImage,
  type ChestKeypoint,
  ChestMotion,
  type ChestPoint,
  type ChestShift,
  chestAnchorShoulders,
  driveShouldersByChest,
  followChest,
  runningMedian,
} from './chest.ts';
export {
  DRIVE_DEAD_BAND,
  DRIVE_MEDIAN_FRAMES,
  type DrivenFrame,
  driveBody,
  type PhotoBody,
} from './drive.ts';
export { BodyError, type BodyErrorCode } from './errors.ts';
export { BodyFeatures } from './features.ts';
export {
  BODY_AUDIO_FEATURES,
  BODY_HEAD_OFFSET,
  BODY_INPUT_COUNT,
  BODY_MEL_GROUPS,
  BODY_NOISE_CHANNELS,
  BODY_NOISE_OFFSET,
  BODY_OUTPUT_COUNT,
  BODY_OUTPUTS,
  jointChannel,
} from './layout.ts';
export { type BodyManifest, bodyManifestSchema, readBodyManifest } from './manifest.ts';
export { BodyModel, type BodyModelOptions, DEFAULT_BODY_MODEL_DIR } from './model.ts';
export { BODY_NOISE_TAU_S, BodyNoise } from './noise.ts';
export { BodyStream, type BodyStreamOptions } from './stream.ts';
export { SWAY_IDLE, SWAY_SPEAKING, SWAY_TAU_S, TorsoSway } from './sway.ts';
