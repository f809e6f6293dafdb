import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT } from '../controls/index.ts';

/**
 * The motion model's output channels, in order: the 52 ARKit weights, head rotation
 * (radians, a delta on the avatar's rest pose) and both eyes' gaze (radians).
 */
export const MOTION_OUTPUTS = [
  ...ARKIT_BLENDSHAPES,
  'headPitch',
  'headYaw',
  'headRoll',
  'gazeLeftYaw',
  'gazeLeftPitch',
  'gazeRightYaw',
  'gazeRightPitch',
] as const;
export type MotionOutput = (typeof MOTION_OUTPUTS)[number];
export const MOTION_OUTPUT_COUNT = MOTION_OUTPUTS.length;
export const HEAD_OFFSET = BLENDSHAPE_COUNT;
export const GAZE_OFFSET = BLENDSHAPE_COUNT + 3;

/** Log-mel frames per model token (the 8 frames up to the token's instant: 80 ms). */
export const MEL_FRAMES_PER_TOKEN = 8;
/** Mel frames per video frame (10 ms hop, 40 ms frames). */
export const MEL_HOP_PER_FRAME = 4;
/** Log of the mel power floor: the value of digital silence (padding before/after the audio). */
export const MEL_SILENCE = Math.log(1e-10);
