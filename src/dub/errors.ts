import { type ErrorKind, FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for problems the dubbing pipeline itself detects. */
export type DubErrorCode =
  /** An option is out of range or inconsistent (fit mode, sizes, limits). */
  | 'DUB_BAD_OPTIONS'
  /** Not one frame of the video shows a face that can be tracked: there is nothing to dub. */
  | 'DUB_NO_FACE'
  /** The video is longer than the accepted limit. */
  | 'DUB_VIDEO_TOO_LONG'
  /** The video has more pixels per frame than the accepted limit. */
  | 'DUB_VIDEO_TOO_LARGE'
  /** The output path cannot be written (missing folder, exists as a folder). */
  | 'DUB_OUTPUT_NOT_WRITABLE'
  /** The track file written by the first pass is missing or inconsistent (a bug or a full disk). */
  | 'DUB_TRACK_CORRUPT';

const kinds: Record<DubErrorCode, ErrorKind> = {
  DUB_BAD_OPTIONS: 'input',
  DUB_NO_FACE: 'input',
  DUB_VIDEO_TOO_LONG: 'limit',
  DUB_VIDEO_TOO_LARGE: 'limit',
  DUB_OUTPUT_NOT_WRITABLE: 'input',
  DUB_TRACK_CORRUPT: 'internal',
};

export class DubError extends FacecastError {
  override readonly name = 'DubError';
  declare readonly code: DubErrorCode;
  constructor(code: DubErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
