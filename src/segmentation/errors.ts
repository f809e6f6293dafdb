import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for person segmentation. */
export type SegmentationErrorCode =
  /** No model at the given folder (manifest.json + the ONNX file it names). */
  | 'SEGMENTATION_MODEL_MISSING'
  /** The manifest is malformed, or the ONNX file does not match it (sha256, inputs, outputs). */
  | 'SEGMENTATION_MODEL_INVALID'
  /** The image is not packed 8-bit RGB of its stated size. */
  | 'SEGMENTATION_BAD_IMAGE'
  /** The segmenter was used after `close()`. */
  | 'SEGMENTATION_CLOSED';

const KIND = {
  SEGMENTATION_MODEL_MISSING: 'not-found',
  SEGMENTATION_MODEL_INVALID: 'internal',
  SEGMENTATION_BAD_IMAGE: 'input',
  SEGMENTATION_CLOSED: 'internal',
} as const;

export class SegmentationError extends FacecastError {
  override readonly name = 'SegmentationError';
  declare readonly code: SegmentationErrorCode;
  constructor(code: SegmentationErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
