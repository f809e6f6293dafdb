import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes of the avatar library. */
export type AvatarErrorCode =
  /** No avatar with that id. */
  'AVATAR_NOT_FOUND';

export class AvatarError extends FacecastError {
  override readonly name = 'AvatarError';
  declare readonly code: AvatarErrorCode;
  constructor(code: AvatarErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, 'not-found', message, options);
  }
}
