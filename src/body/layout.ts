import { BODY_JOINTS, type BodyJoint } from '../controls/index.ts';

/**
 * The body model's output channels, in order: the neck's roll (radians; the shoulder line's
 * tilt, the only neck angle 2-D keypoints measure) then x, y of each joint in
 * {@link BODY_JOINTS} order (shoulder widths from the rest pose, image axes).
 */
export const BODY_OUTPUTS = [
  'neck.roll',
  ...BODY_JOINTS.flatMap((j) => [`${j}.x`, `${j}.y`] as const),
] as const;
export const BODY_OUTPUT_COUNT = BODY_OUTPUTS.length;

/** Pooled log-mel bands of the audio features (80 mel bands averaged in groups of 5). */
export const BODY_MEL_GROUPS = 16;
/**
 * Per-frame input channels: loudness (dB below the running peak, scaled), onset (rise of the
 * loudness, scaled), the {@link BODY_MEL_GROUPS} pooled bands relative to the loudness
 * (spectral shape), head yaw and roll (radians; the head–neck coupling — pitch is left out:
 * the training targets' head angles come from MoveNet's eye, ear and nose points, which
 * measure roll well, yaw roughly and pitch not at all), and {@link BODY_NOISE_CHANNELS}
 * seeded smooth noise channels.
 */
export const BODY_NOISE_CHANNELS = 4;
export const BODY_AUDIO_FEATURES = 2 + BODY_MEL_GROUPS;
export const BODY_HEAD_OFFSET = BODY_AUDIO_FEATURES;
export const BODY_NOISE_OFFSET = BODY_HEAD_OFFSET + 2;
export const BODY_INPUT_COUNT = BODY_NOISE_OFFSET + BODY_NOISE_CHANNELS;

/** Index of a joint's x channel in {@link BODY_OUTPUTS} (y is the next one). */
export function jointChannel(joint: BodyJoint): number {
  return 1 + 2 * BODY_JOINTS.indexOf(joint);
}
