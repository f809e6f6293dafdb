import { type ErrorKind, FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes of video avatars (replicas). */
export type ReplicaErrorCode =
  /** The footage is shorter than the minimum (default 5 s). */
  | 'REPLICA_TOO_SHORT'
  /** The footage is longer than the maximum (default 5 min). */
  | 'REPLICA_TOO_LONG'
  /** The frame rate varies (phone recordings): re-encode at a constant rate first. */
  | 'REPLICA_VARIABLE_FRAME_RATE'
  /** Too many frames show a second face. */
  | 'REPLICA_MULTIPLE_PEOPLE'
  /** Too many frames have no usable face (none found, lost, too small, turned away). */
  | 'REPLICA_FACE_LOST'
  /** No frame shows the face roughly frontal. */
  | 'REPLICA_NO_FRONTAL'
  /** Cuts and lost frames leave no stretch long enough to play. */
  | 'REPLICA_TOO_FRAGMENTED'
  /** The output folder exists and is not empty, or cannot be written. */
  | 'REPLICA_OUTPUT_NOT_WRITABLE'
  /** A video-avatar folder is missing files or its manifest is invalid. */
  | 'REPLICA_CORRUPT';

const KIND: Record<ReplicaErrorCode, ErrorKind> = {
  REPLICA_TOO_SHORT: 'input',
  REPLICA_TOO_LONG: 'limit',
  REPLICA_VARIABLE_FRAME_RATE: 'input',
  REPLICA_MULTIPLE_PEOPLE: 'input',
  REPLICA_FACE_LOST: 'input',
  REPLICA_NO_FRONTAL: 'input',
  REPLICA_TOO_FRAGMENTED: 'input',
  REPLICA_OUTPUT_NOT_WRITABLE: 'input',
  REPLICA_CORRUPT: 'internal',
};

export class ReplicaError extends FacecastError {
  override readonly name = 'ReplicaError';
  declare readonly code: ReplicaErrorCode;
  constructor(code: ReplicaErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
