import { beforeAll, describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX, neutralFrame } from '../../src/controls/index.ts';
import { MouthTrack, openingScale } from '../../src/dub/mouth-track.ts';
import { type FaceModel, loadFaceModel } from '../../src/face/index.ts';

let model: FaceModel;
beforeAll(async () => {
  model = await loadFaceModel();
});

function track(jaw: number[]): MouthTrack {
  const frames = jaw.map((v) => {
    const f = neutralFrame();
    f.blendshapes.jawOpen = v;
    f.blendshapes.mouthFunnel = v / 2;
    f.blendshapes.eyeBlinkLeft = 1; // not audio-driven: never read
    return f;
  });
  return MouthTrack.fromControls({ format: 'facecast.controls', version: 1, fps: 25, frames });
}

describe('the new mouth over the audio', () => {
  it('interpolates between 25 fps frames, holds the last, writes only audio-driven shapes', () => {
    const t = track([0, 0.4, 0.2]);
    const out = new Float32Array(52).fill(-1);
    t.weightsAt(20, out);
    expect(out[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.2, 6);
    expect(out[BLENDSHAPE_INDEX.mouthFunnel]).toBeCloseTo(0.1, 6);
    expect(out[BLENDSHAPE_INDEX.eyeBlinkLeft]).toBe(-1);
    t.weightsAt(10_000, out);
    expect(out[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.2, 6);
  });

  it('scales the jaw about its resting value, so silence stays as closed', () => {
    const jaw = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.25, 0.3, 0.05, 0.05, 0.05, 0.05];
    const t = track(jaw);
    const before = t.openings(model);
    t.setOpeningScale(2);
    const out = new Float32Array(52);
    expect(t.weightsAt(0, out)[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.05, 6);
    expect(t.weightsAt(7 * 40, out)[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.55, 6);
    // Not the funnel: only the jaw is scaled.
    expect(out[BLENDSHAPE_INDEX.mouthFunnel]).toBeCloseTo(0.15, 6);
    // The opening measure grows with the jaw (lip gap over the eye distance).
    expect(before[7]).toBeGreaterThan((before[0] as number) + 0.02);
  });

  it('matches the speaker: ratio of the 10th–90th percentile ranges, within 0.75–2', () => {
    const ramp = (lo: number, hi: number) =>
      Array.from({ length: 11 }, (_, i) => lo + ((hi - lo) * i) / 10);
    expect(openingScale(ramp(0.02, 0.12), ramp(0.03, 0.08))).toBeCloseTo(2, 6);
    expect(openingScale(ramp(0.02, 0.08), ramp(0.03, 0.08))).toBeCloseTo(1.2, 6);
    expect(openingScale(ramp(0, 0.5), ramp(0.03, 0.08))).toBe(2);
    expect(openingScale(ramp(0.02, 0.025), ramp(0.03, 0.08))).toBe(0.75);
    // A silent new audio (the mouth does not move) or no source frames: no scaling.
    expect(openingScale(ramp(0.02, 0.12), ramp(0.03, 0.03))).toBe(1);
    expect(openingScale([], ramp(0.03, 0.08))).toBe(1);
  });
});
