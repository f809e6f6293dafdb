import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for evaluation problems. */
export type EvaluationErrorCode =
  /** A cached clip track that does not parse or does not match its video. */
  | 'EVAL_BAD_TRACK'
  /** Frames to compare differ in size, or there are none. */
  | 'EVAL_BAD_FRAMES'
  /** The clip has too few frames with a face to score. */
  | 'EVAL_TOO_FEW_FRAMES'
  /** Body scoring was asked for but the reference frame shows no shoulders. */
  | 'EVAL_NO_BODY';

const kinds: Record<EvaluationErrorCode, 'input' | 'internal'> = {
  EVAL_BAD_TRACK: 'input',
  EVAL_BAD_FRAMES: 'internal',
  EVAL_TOO_FEW_FRAMES: 'input',
  EVAL_NO_BODY: 'input',
};

export class EvaluationError extends FacecastError {
  override readonly name = 'EvaluationError';
  declare readonly code: EvaluationErrorCode;
  constructor(code: EvaluationErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
