export { CSV_VALUE_COLUMNS, controlsFromCsv, controlsToCsv, frameTimecode } from './csv.ts';
export { ControlsError, type ControlsErrorCode } from './errors.ts';
export {
  type ControlsFileFormat,
  controlsFormatOf,
  readControlsFile,
  writeControlsFile,
} from './io.ts';
export { controlsFromJson, controlsToJson, parseControls } from './json.ts';
export {
  ARKIT_BLENDSHAPES,
  BLENDSHAPE_COUNT,
  BLENDSHAPE_INDEX,
  type BlendshapeName,
  BODY_JOINTS,
  type BodyJoint,
  isBlendshapeName,
} from './names.ts';
export {
  type Blendshapes,
  type BodyPose,
  blendshapesSchema,
  blendshapeVector,
  bodyPoseSchema,
  CONTROLS_FPS,
  type ControlsFrame,
  type ControlsSequence,
  controlsFrameSchema,
  controlsSequenceSchema,
  FRAME_DURATION_MS,
  type Gaze,
  gazeSchema,
  type HeadPose,
  headPoseSchema,
  neutralFrame,
  setBlendshapeVector,
  type Vec3,
} from './schema.ts';
