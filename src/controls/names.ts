/**
 * The 52 ARKit blendshape names (Apple's `ARFaceAnchor.BlendShapeLocation`), in the column
 * order of Live Link Face CSV exports. This order is also the channel order of every
 * blendshape vector in facecast (motion model outputs, fitter outputs, CSV columns).
 */
export const ARKIT_BLENDSHAPES = [
  'eyeBlinkLeft',
  'eyeLookDownLeft',
  'eyeLookInLeft',
  'eyeLookOutLeft',
  'eyeLookUpLeft',
  'eyeSquintLeft',
  'eyeWideLeft',
  'eyeBlinkRight',
  'eyeLookDownRight',
  'eyeLookInRight',
  'eyeLookOutRight',
  'eyeLookUpRight',
  'eyeSquintRight',
  'eyeWideRight',
  'jawForward',
  'jawRight',
  'jawLeft',
  'jawOpen',
  'mouthClose',
  'mouthFunnel',
  'mouthPucker',
  'mouthRight',
  'mouthLeft',
  'mouthSmileLeft',
  'mouthSmileRight',
  'mouthFrownLeft',
  'mouthFrownRight',
  'mouthDimpleLeft',
  'mouthDimpleRight',
  'mouthStretchLeft',
  'mouthStretchRight',
  'mouthRollLower',
  'mouthRollUpper',
  'mouthShrugLower',
  'mouthShrugUpper',
  'mouthPressLeft',
  'mouthPressRight',
  'mouthLowerDownLeft',
  'mouthLowerDownRight',
  'mouthUpperUpLeft',
  'mouthUpperUpRight',
  'browDownLeft',
  'browDownRight',
  'browInnerUp',
  'browOuterUpLeft',
  'browOuterUpRight',
  'cheekPuff',
  'cheekSquintLeft',
  'cheekSquintRight',
  'noseSneerLeft',
  'noseSneerRight',
  'tongueOut',
] as const;

export type BlendshapeName = (typeof ARKIT_BLENDSHAPES)[number];
export const BLENDSHAPE_COUNT = ARKIT_BLENDSHAPES.length;

/** Index of each name in {@link ARKIT_BLENDSHAPES}. */
export const BLENDSHAPE_INDEX: Readonly<Record<BlendshapeName, number>> = Object.freeze(
  Object.fromEntries(ARKIT_BLENDSHAPES.map((name, i) => [name, i])) as Record<
    BlendshapeName,
    number
  >,
);

export function isBlendshapeName(name: string): name is BlendshapeName {
  return Object.hasOwn(BLENDSHAPE_INDEX, name);
}

/** Upper-body joints carried in Controls (positions relative to the rest pose). */
export const BODY_JOINTS = [
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
] as const;
export type BodyJoint = (typeof BODY_JOINTS)[number];
