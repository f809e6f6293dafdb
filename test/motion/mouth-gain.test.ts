import { describe, expect, it } from 'vitest';
import { ARKIT_BLENDSHAPES } from '../../src/controls/index.ts';
import {
  ControlsComposer,
  MOTION_OUTPUT_COUNT,
  MOUTH_OPENING,
  MotionModel,
  openingFactor,
} from '../../src/motion/index.ts';

/** Model rows with every blendshape at `value` (head and gaze 0). */
function rows(frames: number, value: (frame: number) => number): Float32Array {
  const data = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < ARKIT_BLENDSHAPES.length; c++) data[f * MOTION_OUTPUT_COUNT + c] = value(f);
  }
  return data;
}

describe('the mouth gain (amplitude calibration)', () => {
  it('scales the mouth-opening channels only, clamped to 1, and leaves idle life as it was', () => {
    const data = rows(100, (f) => 0.2 + 0.1 * Math.sin(f / 5));
    const plain = new ControlsComposer({ seed: 3 }).compose(data, 100);
    const gained = new ControlsComposer({ seed: 3, mouthGain: 2 }).compose(data, 100);
    for (let f = 0; f < 100; f++) {
      const a = plain[f]?.blendshapes as Record<string, number>;
      const b = gained[f]?.blendshapes as Record<string, number>;
      for (const name of ARKIT_BLENDSHAPES) {
        const opening = (MOUTH_OPENING as readonly string[]).includes(name);
        expect(b[name]).toBeCloseTo(
          opening ? Math.min(1, 2 * (a[name] as number)) : (a[name] as number),
          6,
        );
      }
      // Idle head motion and blinks are driven by the model's own jaw: unchanged.
      expect(gained[f]?.head).toEqual(plain[f]?.head);
    }
    const loud = new ControlsComposer({ mouthGain: 3 }).compose(
      rows(1, () => 0.5),
      1,
    );
    expect(loud[0]?.blendshapes.jawOpen).toBe(1);
  });

  it('a soft ceiling opens small mouths up to E times and wide ones short of 1, keeping the mouth shape', () => {
    const E = 3.5;
    const jaw = [0.02, 0.05, 0.1, 0.2, 0.4];
    // Opening channels at their own ratios to the jaw; a non-opening channel beside them.
    const data = new Float32Array(jaw.length * MOTION_OUTPUT_COUNT);
    jaw.forEach((j, f) => {
      const o = f * MOTION_OUTPUT_COUNT;
      data[o + ARKIT_BLENDSHAPES.indexOf('jawOpen')] = j;
      data[o + ARKIT_BLENDSHAPES.indexOf('mouthLowerDownLeft')] = j / 2;
      data[o + ARKIT_BLENDSHAPES.indexOf('mouthClose')] = j / 4;
      data[o + ARKIT_BLENDSHAPES.indexOf('mouthSmileLeft')] = 0.3;
    });
    const gain = 2.5;
    const hard = new ControlsComposer({ idle: false, mouthGain: gain }).compose(data, jaw.length);
    const soft = new ControlsComposer({
      idle: false,
      mouthGain: gain,
      mouthSoftCeiling: E,
    }).compose(data, jaw.length);
    jaw.forEach((j, f) => {
      const b = soft[f]?.blendshapes as Record<string, number>;
      const x = gain * j;
      expect(b.jawOpen).toBeCloseTo(1 - Math.exp(-E * x), 5);
      expect(b.jawOpen).toBeLessThan(1);
      expect(b.mouthLowerDownLeft).toBeCloseTo((b.jawOpen as number) / 2, 5);
      expect(b.mouthClose).toBeCloseTo((b.jawOpen as number) / 4, 5);
      expect(b.mouthSmileLeft).toBeCloseTo(0.3, 6);
    });
    // Small openings: well over the linear gain (2.5 · 0.02 = 0.05 → 0.16); wide: under the clamp.
    expect(soft[0]?.blendshapes.jawOpen).toBeGreaterThan(3 * (hard[0]?.blendshapes.jawOpen ?? 0));
    expect(soft[4]?.blendshapes.jawOpen).toBeLessThan(hard[4]?.blendshapes.jawOpen ?? 0);
    // Monotone in the model's jaw.
    for (let f = 1; f < jaw.length; f++) {
      expect(soft[f]?.blendshapes.jawOpen).toBeGreaterThan(soft[f - 1]?.blendshapes.jawOpen ?? 1);
    }
  });

  it('without a ceiling the factor is 1 (the plain gain); a jaw under the gate stays shut', () => {
    expect(openingFactor(0.5, 0)).toBe(1);
    expect(openingFactor(0, 3.5)).toBe(3.5);
    expect(0.2 * openingFactor(0.2, 3.5)).toBeCloseTo(1 - Math.exp(-0.7), 6);
    expect(openingFactor(0, 3.5, 0.01)).toBe(0);
    expect(openingFactor(0.008, 3.5, 0.01)).toBe(0);
    expect(0.2 * openingFactor(0.2, 3.5, 0.01)).toBeCloseTo(1 - Math.exp(-3.5 * 0.19), 6);
    // A gated composer: a silent model's jaw (gained 0.005) gives a shut mouth.
    const data = rows(1, () => 0.002);
    const shut = new ControlsComposer({
      idle: false,
      mouthGain: 2.5,
      mouthSoftCeiling: 3.5,
      mouthGate: 0.01,
    });
    const b = shut.compose(data, 1)[0]?.blendshapes as Record<string, number>;
    for (const name of MOUTH_OPENING) expect(b[name]).toBe(0);
  });

  it('the shipped model takes its calibrated gain and ceiling from the manifest; options override them', async () => {
    const model = await MotionModel.load();
    const overridden = await MotionModel.load({ mouthGain: 1, mouthSoftCeiling: 0, mouthGate: 0 });
    try {
      const calibration = model.manifest.calibration;
      expect(model.mouthGain).toBe(calibration?.mouthGain ?? 1);
      expect(model.mouthSoftCeiling).toBe(calibration?.mouthSoftCeiling ?? 0);
      expect(model.mouthSoftCeiling).toBeGreaterThan(0);
      expect(model.mouthGate).toBe(calibration?.mouthGate ?? 0);
      expect(overridden.mouthGain).toBe(1);
      expect(overridden.mouthSoftCeiling).toBe(0);
    } finally {
      await model.close();
      await overridden.close();
    }
  });
});
