import { describe, expect, it } from 'vitest';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { AUDIO_DRIVEN, mergeWeights } from '../../src/dub/index.ts';

describe('merging the new mouth with the source frame', () => {
  const source = Float32Array.from(ARKIT_BLENDSHAPES, (_, k) => 0.01 * k);
  const audio = new Float32Array(ARKIT_BLENDSHAPES.length).fill(0.9);

  it('takes jaw and mouth articulation from the audio and everything else from the video', () => {
    const out = mergeWeights(source, audio, 1, new Float32Array(52));
    for (const name of ARKIT_BLENDSHAPES) {
      const k = BLENDSHAPE_INDEX[name];
      const expected = AUDIO_DRIVEN.includes(name) ? 0.9 : (source[k] as number);
      expect(out[k]).toBeCloseTo(expected, 6);
    }
    // Blinks, brows and a smile are the source's.
    for (const kept of [
      'eyeBlinkLeft',
      'browInnerUp',
      'mouthSmileLeft',
      'cheekSquintRight',
    ] as const) {
      expect(AUDIO_DRIVEN).not.toContain(kept);
    }
    expect(AUDIO_DRIVEN).toContain('jawOpen');
    expect(AUDIO_DRIVEN).toContain('mouthClose');
  });

  it('moves only part of the way at partial strength, none at 0', () => {
    const jaw = BLENDSHAPE_INDEX.jawOpen;
    const half = mergeWeights(source, audio, 0.5, new Float32Array(52));
    expect(half[jaw]).toBeCloseTo(((source[jaw] as number) + 0.9) / 2, 6);
    expect(Array.from(mergeWeights(source, audio, 0, new Float32Array(52)))).toEqual(
      Array.from(source),
    );
  });
});
