export { FaceError, type FaceErrorCode } from './errors.ts';
export { type FaceFit, FaceFitter, FIT_DEFAULTS, type FitOptions, fitFace } from './fit.ts';
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
