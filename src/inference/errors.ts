import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for model loading and inference failures. */
export type InferenceErrorCode =
  /** The model file does not exist. */
  | 'MODEL_NOT_FOUND'
  /** The file is not a loadable ONNX model, or it does not meet the caller's contract. */
  | 'MODEL_INVALID'
  /** None of the requested execution providers could create a session. */
  | 'EXECUTION_PROVIDER_UNAVAILABLE'
  /** onnxruntime rejected a run (shapes, types) or failed inside it. */
  | 'INFERENCE_FAILED'
  /** The session or runner was used after `close()`. */
  | 'SESSION_CLOSED';

const KIND = {
  MODEL_NOT_FOUND: 'not-found',
  MODEL_INVALID: 'input',
  EXECUTION_PROVIDER_UNAVAILABLE: 'internal',
  INFERENCE_FAILED: 'internal',
  SESSION_CLOSED: 'internal',
} as const;

export class InferenceError extends FacecastError {
  override readonly name = 'InferenceError';
  declare readonly code: InferenceErrorCode;
  constructor(code: InferenceErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
