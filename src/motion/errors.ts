import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for the motion stage. */
export type MotionErrorCode =
  /** No model at the given path (models/motion/motion.onnx + manifest.json by default). */
  | 'MOTION_MODEL_MISSING'
  /** The manifest is malformed, or the ONNX file does not match it (sha256, inputs, outputs). */
  | 'MOTION_MODEL_INVALID'
  /** Input the stream cannot use (wrong mel width, non-finite samples). */
  | 'MOTION_BAD_INPUT'
  /** The stream or model was used after `close()`. */
  | 'MOTION_CLOSED';

const KIND = {
  MOTION_MODEL_MISSING: 'not-found',
  MOTION_MODEL_INVALID: 'internal',
  MOTION_BAD_INPUT: 'input',
  MOTION_CLOSED: 'internal',
} as const;

export class MotionError extends FacecastError {
  override readonly name = 'MotionError';
  declare readonly code: MotionErrorCode;
  constructor(code: MotionErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
