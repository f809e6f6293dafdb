import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

export type ControlsErrorCode = 'CONTROLS_INVALID' | 'CONTROLS_BAD_CSV' | 'CONTROLS_BAD_JSON';

export class ControlsError extends FacecastError {
  override readonly name = 'ControlsError';
  declare readonly code: ControlsErrorCode;
  constructor(code: ControlsErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, 'input', message, options);
  }
}
