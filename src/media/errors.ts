import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for problems with an input media file or the ffmpeg toolchain. */
export type MediaErrorCode =
  | 'MEDIA_NOT_FOUND'
  | 'MEDIA_NOT_A_FILE'
  | 'MEDIA_EMPTY'
  | 'MEDIA_UNREADABLE'
  | 'MEDIA_TOO_LARGE'
  | 'MEDIA_NO_VIDEO'
  | 'FFMPEG_NOT_FOUND'
  | 'FFMPEG_FAILED';

const kinds: Record<MediaErrorCode, 'input' | 'not-found' | 'limit' | 'internal'> = {
  MEDIA_NOT_FOUND: 'not-found',
  MEDIA_NOT_A_FILE: 'input',
  MEDIA_EMPTY: 'input',
  MEDIA_UNREADABLE: 'input',
  MEDIA_TOO_LARGE: 'limit',
  MEDIA_NO_VIDEO: 'input',
  FFMPEG_NOT_FOUND: 'internal',
  FFMPEG_FAILED: 'internal',
};

export class MediaError extends FacecastError {
  override readonly name = 'MediaError';
  declare readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
