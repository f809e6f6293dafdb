import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for the generator stage. */
export type GeneratorErrorCode =
  /** No generator or SR model at the given folder (manifest.json + the ONNX file it names). */
  | 'GENERATOR_MODEL_MISSING'
  /** A manifest is malformed, or an ONNX file does not match it (sha256, inputs, outputs). */
  | 'GENERATOR_MODEL_INVALID'
  /** Frames the stream cannot use (size changed mid-stream, maps not matching the composite). */
  | 'GENERATOR_BAD_INPUT'
  /** `--generator on` where no model is installed, or an unknown mode. */
  | 'GENERATOR_UNAVAILABLE'
  /** The stream or generator was used after `close()`. */
  | 'GENERATOR_CLOSED';

const KIND = {
  GENERATOR_MODEL_MISSING: 'not-found',
  GENERATOR_MODEL_INVALID: 'internal',
  GENERATOR_BAD_INPUT: 'input',
  GENERATOR_UNAVAILABLE: 'input',
  GENERATOR_CLOSED: 'internal',
} as const;

export class GeneratorError extends FacecastError {
  override readonly name = 'GeneratorError';
  declare readonly code: GeneratorErrorCode;
  constructor(code: GeneratorErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
