import {
  ARKIT_BLENDSHAPES,
  BLENDSHAPE_COUNT,
  type BlendshapeName,
  type ControlsFrame,
} from '../controls/index.ts';

/**
 * The shapes the new audio drives: jaw and mouth articulation. Everything else — eyes,
 * brows, cheeks, nose, and the mouth's expression (smile, frown, dimple) — stays the
 * source frame's own, so a person who smiles keeps smiling while saying the new words.
 */
export const AUDIO_DRIVEN: readonly BlendshapeName[] = Object.freeze([
  'jawOpen',
  'jawForward',
  'jawLeft',
  'jawRight',
  'mouthClose',
  'mouthFunnel',
  'mouthPucker',
  'mouthLeft',
  'mouthRight',
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
  'mouthStretchLeft',
  'mouthStretchRight',
  'tongueOut',
]);
const DRIVEN = new Uint8Array(BLENDSHAPE_COUNT);
for (const name of AUDIO_DRIVEN) DRIVEN[ARKIT_BLENDSHAPES.indexOf(name)] = 1;

/**
 * Target weights of one dubbed frame, into `out`: the audio-driven shapes move from the
 * source's own value towards the new audio's by `strength` (1 = fully replaced; less only
 * next to frames passed through), every other shape keeps the source's value exactly.
 */
export function mergeWeights(
  source: ArrayLike<number>,
  audio: ArrayLike<number>,
  strength: number,
  out: Float32Array,
): Float32Array {
  for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
    const s = source[k] as number;
    out[k] = DRIVEN[k] ? s + strength * ((audio[k] as number) - s) : s;
  }
  return out;
}

/**
 * The audio-driven weights at `timeMs`, linearly interpolated between the 25 fps Controls
 * frames around it (output rates other than 25 fps fall between them), into `out`.
 */
export function weightsAt(
  frameBefore: ControlsFrame,
  frameAfter: ControlsFrame,
  fraction: number,
  out: Float32Array,
): Float32Array {
  const a = frameBefore.blendshapes;
  const b = frameAfter.blendshapes;
  for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
    const name = ARKIT_BLENDSHAPES[k] as BlendshapeName;
    out[k] = a[name] + fraction * (b[name] - a[name]);
  }
  return out;
}
