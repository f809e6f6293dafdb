import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for the body stage. */
export type BodyErrorCode =
  /** No model at the given path (models/body/body.onnx + manifest.json by default). */
  | 'BODY_MODEL_MISSING'
  /** The manifest is malformed, or the ONNX file does not match it (sha256, inputs, outputs). */
  | 'BODY_MODEL_INVALID'
  /** Input the model cannot use (non-finite samples, frame count mismatch). */
  | 'BODY_BAD_INPUT'
  /** The model was used after `close()`. */
  | 'BODY_CLOSED';

const KIND = {
  BODY_MODEL_MISSING: 'not-found',
  BODY_MODEL_INVALID: 'internal',
  BODY_BAD_INPUT: 'input',
  BODY_CLOSED: 'internal',
} as const;

export class BodyError extends FacecastError {
  override readonly name = 'BodyError';
  declare readonly code: BodyErrorCode;
  constructor(code: BodyErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
