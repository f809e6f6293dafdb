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
  | 'FFMPEG_FAILED'
  /** Encoder options are invalid (odd frame size, bad fps, audio file without audio). */
  | 'ENCODE_BAD_OPTIONS'
  /** A frame handed to the encoder has the wrong byte length. */
  | 'ENCODE_BAD_FRAME'
  /** `writeFrame`/`finish` after the writer was finished or closed. */
  | 'ENCODE_CLOSED'
  /** `finish` with no frame written: an MP4 needs at least one. */
  | 'ENCODE_NO_FRAMES';

const kinds: Record<MediaErrorCode, 'input' | 'not-found' | 'limit' | 'internal'> = {
  MEDIA_NOT_FOUND: 'not-found',
  MEDIA_NOT_A_FILE: 'input',
  MEDIA_EMPTY: 'input',
  MEDIA_UNREADABLE: 'input',
  MEDIA_TOO_LARGE: 'limit',
  MEDIA_NO_VIDEO: 'input',
  FFMPEG_NOT_FOUND: 'internal',
  FFMPEG_FAILED: 'internal',
  ENCODE_BAD_OPTIONS: 'input',
  ENCODE_BAD_FRAME: 'input',
  ENCODE_CLOSED: 'internal',
  ENCODE_NO_FRAMES: 'input',
};

export class MediaError extends FacecastError {
  override readonly name = 'MediaError';
  declare readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
