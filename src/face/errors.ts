import { type ErrorKind, FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for problems finding, fitting or storing a face. */
export type FaceErrorCode =
  /** No face in the image (or in any frame of a video). */
  | 'FACE_NOT_FOUND'
  /** The face is smaller than the minimum inter-ocular distance. */
  | 'FACE_TOO_SMALL'
  /** Head turned or tilted beyond the limits an avatar can be built from. */
  | 'FACE_POSE_EXTREME'
  /** Several faces and `strict` was asked for. */
  | 'FACE_MULTIPLE'
  /** The file is not an image we can decode (or is corrupt). */
  | 'IMAGE_UNREADABLE'
  /** The image is larger than the accepted pixel count. */
  | 'IMAGE_TOO_LARGE'
  /** An avatar profile folder or file is missing. */
  | 'PROFILE_NOT_FOUND'
  /** An avatar profile file does not match the schema. */
  | 'PROFILE_INVALID'
  /** models/face or models/face-landmarks is missing, corrupt, or does not match its manifest. */
  | 'FACE_MODEL_INVALID'
  /** The landmark models or the body model (onnxruntime) could not be loaded or failed. */
  | 'LANDMARKER_FAILED';

const kinds: Record<FaceErrorCode, ErrorKind> = {
  FACE_NOT_FOUND: 'input',
  FACE_TOO_SMALL: 'input',
  FACE_POSE_EXTREME: 'input',
  FACE_MULTIPLE: 'input',
  IMAGE_UNREADABLE: 'input',
  IMAGE_TOO_LARGE: 'limit',
  PROFILE_NOT_FOUND: 'not-found',
  PROFILE_INVALID: 'input',
  FACE_MODEL_INVALID: 'internal',
  LANDMARKER_FAILED: 'internal',
};

export class FaceError extends FacecastError {
  override readonly name = 'FaceError';
  declare readonly code: FaceErrorCode;
  constructor(code: FaceErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
