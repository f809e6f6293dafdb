import { BLENDSHAPE_INDEX, type BlendshapeName } from '../../src/controls/index.ts';

/**
 * Upper-face channels that move with speech in real faces (brows, eye squint/wide, cheek
 * squint) but that the synthetic phoneme targets know nothing about: supervised by the real
 * tracked clips only, each relative to its clip's own resting level.
 */
export const UPPER_FACE_NAMES: readonly BlendshapeName[] = [
  'eyeSquintLeft',
  'eyeSquintRight',
  'eyeWideLeft',
  'eyeWideRight',
  'browDownLeft',
  'browDownRight',
  'browInnerUp',
  'browOuterUpLeft',
  'browOuterUpRight',
  'cheekSquintLeft',
  'cheekSquintRight',
];
export const UPPER_FACE_CHANNELS: readonly number[] = UPPER_FACE_NAMES.map(
  (n) => BLENDSHAPE_INDEX[n],
);
