import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for problems the video pipeline itself detects. */
export type PipelineErrorCode =
  /** The speech is silent throughout: there is nothing to lip-sync. */
  | 'AUDIO_SILENT'
  /** An option is out of range (size, seed, text length). */
  | 'PIPELINE_BAD_OPTIONS'
  /** The output path cannot be written (missing folder, exists as a folder). */
  | 'OUTPUT_NOT_WRITABLE';

const kinds = {
  AUDIO_SILENT: 'input',
  PIPELINE_BAD_OPTIONS: 'input',
  OUTPUT_NOT_WRITABLE: 'input',
} as const satisfies Record<PipelineErrorCode, FacecastError['kind']>;

export class PipelineError extends FacecastError {
  override readonly name = 'PipelineError';
  declare readonly code: PipelineErrorCode;
  constructor(code: PipelineErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
