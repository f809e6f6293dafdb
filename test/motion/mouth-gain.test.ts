import { describe, expect, it } from 'vitest';
import { ARKIT_BLENDSHAPES } from '../../src/controls/index.ts';
import {
  ControlsComposer,
  MOTION_OUTPUT_COUNT,
  MOUTH_OPENING,
  MotionModel,
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

  it('the shipped model takes its calibrated gain from the manifest; an option overrides it', async () => {
    const model = await MotionModel.load();
    const overridden = await MotionModel.load({ mouthGain: 1 });
    try {
      const calibrated = model.manifest.calibration?.mouthGain;
      expect(model.mouthGain).toBe(calibrated ?? 1);
      expect(overridden.mouthGain).toBe(1);
    } finally {
      await model.close();
      await overridden.close();
    }
  });
});
