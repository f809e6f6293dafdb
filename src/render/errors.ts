import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for render problems. */
export type RenderErrorCode =
  /** Renderer options out of range (size, etc.). */
  | 'RENDER_BAD_OPTIONS'
  /** A reference (image + fitted mesh) that cannot be rendered from. */
  | 'RENDER_BAD_REFERENCE'
  /** A `--set` edit or an edit list that does not parse or names an unknown control. */
  | 'RENDER_BAD_EDIT'
  /** `render()` after `close()`. */
  | 'RENDER_CLOSED'
  /** A render thread (src/render/thread.ts) crashed, exited or could not start. */
  | 'RENDER_WORKER_FAILED'
  /** A shipped model the avatar asks for (models/mouthbank) is missing or corrupt. */
  | 'RENDER_MODEL_MISSING';

const kinds: Record<RenderErrorCode, 'input' | 'internal'> = {
  RENDER_BAD_OPTIONS: 'input',
  RENDER_BAD_REFERENCE: 'input',
  RENDER_BAD_EDIT: 'input',
  RENDER_CLOSED: 'internal',
  RENDER_WORKER_FAILED: 'internal',
  RENDER_MODEL_MISSING: 'internal',
};

export class RenderError extends FacecastError {
  override readonly name = 'RenderError';
  declare readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
