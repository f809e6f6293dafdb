export {
  AVATAR_DEFAULTS,
  type AvatarOptions,
  buildAvatarProfile,
  type CreateAvatarOptions,
  type CreatedAvatar,
  createAvatar,
  interOcularPx,
} from './avatar.ts';
export { FaceError, type FaceErrorCode } from './errors.ts';
export { type FaceFit, FaceFitter, FIT_DEFAULTS, type FitOptions, fitFace } from './fit.ts';
export {
  EYE_LOOK_FULL_RAD,
  EYE_RADIUS_CM,
  eyeLookWeights,
  gazeFromLandmarks,
  IRIS_REST_OFFSET_CM,
} from './gaze.ts';
export {
  encodePng,
  IMAGE_DEFAULTS,
  type LoadImageOptions,
  loadImage,
  type NormalisedImage,
} from './image.ts';
export {
  type DetectedBody,
  type DetectedFace,
  type Detection,
  type DetectOptions,
  FaceLandmarker,
  LANDMARKER_DEFAULTS,
  type LandmarkerOptions,
  type RgbImage,
} from './landmarker.ts';
export {
  laggedCorrelation,
  lipSyncCorrelation,
  movingAverage3,
  speechEnvelopeDb,
} from './lipsync.ts';
export {
  DEFAULT_FACE_MODEL_DIR,
  FACE_VERTEX_COUNT,
  type FaceModel,
  type FaceModelManifest,
  faceModelManifestSchema,
  IRIS_LANDMARKS,
  LANDMARK_COUNT,
  loadFaceModel,
  TRIANGLE_SET_NAMES,
  type TriangleSetName,
  VERTEX_SET_NAMES,
  type VertexSetName,
} from './model.ts';
export {
  type ClosedMouth,
  classifyMouth,
  closeMouth,
  LIP_GAP_PAIRS,
  MOUTH_STATE_THRESHOLDS,
  type MouthMeasure,
  type MouthState,
  measureMouth,
  meshMouth,
} from './mouth.ts';
export { OneEuroFilter, type OneEuroParams } from './one-euro.ts';
export {
  anglesFromRotation,
  applyHeadDelta,
  deformVertices,
  type FacePose,
  facePoseSchema,
  type HeadDeltaOptions,
  poseVertices,
  projectInPlace,
  rotationMatrix,
} from './pose.ts';
export {
  type AvatarProfile,
  avatarProfileSchema,
  BODY_KEYPOINT_NAMES,
  type BodyKeypoint,
  type BodyKeypointName,
  bodyKeypointSchema,
  type LoadedAvatar,
  loadAvatarProfile,
  type PixelBox,
  PROFILE_FILE,
  PROFILE_IMAGE_FILE,
  saveAvatarProfile,
} from './profile.ts';
export { TRACK_DEFAULTS, type TrackResult, type TrackVideoOptions, trackVideo } from './track.ts';
export {
  FaceTracker,
  TRACKER_DEFAULTS,
  TRACKER_SMOOTHING,
  type TrackedFrame,
  type TrackerInput,
  type TrackerOptions,
  type TrackerSmoothing,
} from './tracker.ts';
