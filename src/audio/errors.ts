import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for audio that decodes but cannot be used as it is. */
export type AudioErrorCode =
  | 'AUDIO_NO_STREAM'
  | 'AUDIO_TOO_SHORT'
  | 'AUDIO_TOO_LONG'
  | 'AUDIO_TRUNCATED'
  | 'AUDIO_DECODE_FAILED'
  | 'AUDIO_BAD_CHUNK';

export class AudioError extends FacecastError {
  override readonly name = 'AudioError';
  declare readonly code: AudioErrorCode;
  constructor(code: AudioErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, code === 'AUDIO_TOO_LONG' ? 'limit' : 'input', message, options);
  }
}
