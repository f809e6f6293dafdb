import { beforeAll, describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { FaceFitter, type FaceModel, loadFaceModel, poseVertices } from './helpers.ts';
import { recoveryTrial } from './synthetic.ts';

let model: FaceModel;
beforeAll(async () => {
  model = await loadFaceModel();
});

/** Mouth shapes that carry speech. */
const SPEECH = [
  'jawOpen',
  'mouthClose',
  'mouthFunnel',
  'mouthPucker',
  'mouthSmileLeft',
  'mouthSmileRight',
  'mouthLowerDownLeft',
  'mouthLowerDownRight',
  'mouthUpperUpLeft',
  'mouthUpperUpRight',
  'mouthPressLeft',
  'mouthPressRight',
  'mouthStretchLeft',
  'mouthStretchRight',
  'mouthRollLower',
  'mouthRollUpper',
];

describe('FaceFitter recovers known weights from synthetic landmarks', () => {
  it('exactly, without noise (tiny ridge): mean |error| < 0.002, every shape < 0.06, angles < 0.01°', () => {
    const r = recoveryTrial(model, { trials: 20, noisePx: 0, regularization: 1e-6, seed: 7 });
    expect(r.meanAbsError).toBeLessThan(0.002);
    for (const [name, error] of Object.entries(r.maxAbsError))
      expect(error, name).toBeLessThan(0.06);
    expect(r.maxAngleError).toBeLessThan((0.01 * Math.PI) / 180);
  });

  it('closely, with 0.5 px landmark noise and the default prior: speech shapes within 0.03, jawOpen within 0.015', () => {
    // IOD 94–250 px in these trials, so 0.5 px is 0.2–0.5 % of the eye distance.
    const r = recoveryTrial(model, { trials: 20, noisePx: 0.5, seed: 11 });
    expect(r.meanAbsError).toBeLessThan(0.04);
    expect(r.meanAbsErrorOf(SPEECH)).toBeLessThan(0.03);
    expect(r.meanAbsErrorOf(['jawOpen'])).toBeLessThan(0.015);
    expect(r.meanAbsErrorOf(['eyeBlinkLeft', 'eyeBlinkRight'])).toBeLessThan(0.05);
    expect(r.maxAngleError).toBeLessThan((0.3 * Math.PI) / 180);
  });

  it('keeps every weight in [0, 1] and honours fixed weights', () => {
    const fitter = new FaceFitter(model);
    const pose = { pitch: 0, yaw: 0.1, roll: 0, pxPerCm: 25, txPx: 256, tyPx: 256 };
    const weights = new Float32Array(52);
    weights[BLENDSHAPE_INDEX.jawOpen] = 1;
    // Landmarks beyond the basis' range: the mouth opened 1.6× as far as jawOpen = 1.
    const landmarks = poseVertices(
      model,
      model.neutral,
      weights.map((w) => w * 1.6),
      pose,
    );
    const fixed = new Map([[BLENDSHAPE_INDEX.eyeLookOutLeft, 0.3]]);
    const fit = fitter.fit(landmarks, { fixedWeights: fixed });
    expect(fit.weights.every((w) => w >= 0 && w <= 1)).toBe(true);
    expect(fit.weights[BLENDSHAPE_INDEX.jawOpen]).toBe(1);
    expect(fit.weights[BLENDSHAPE_INDEX.eyeLookOutLeft]).toBeCloseTo(0.3, 6);
  });

  it('fits a face shape with fitIdentity and reports it', () => {
    const fitter = new FaceFitter(model);
    const alpha = [1.2, -0.8, 0.5];
    const identity = Float32Array.from(model.neutral);
    alpha.forEach((a, j) => {
      for (let d = 0; d < identity.length; d++) {
        identity[d] = (identity[d] as number) + a * (model.identityBasis[j * 1404 + d] as number);
      }
    });
    const pose = { pitch: 0.05, yaw: -0.1, roll: 0.03, pxPerCm: 30, txPx: 300, tyPx: 280 };
    const landmarks = poseVertices(model, identity, new Float32Array(52), pose);
    const plain = fitter.fit(landmarks);
    const shaped = fitter.fit(landmarks, { fitIdentity: true });
    expect(shaped.residual.meanPx).toBeLessThan(plain.residual.meanPx / 3);
    expect(shaped.identityCoefficients[0]).toBeCloseTo(1.2, 0);
    expect(shaped.identity.length).toBe(1404);
  });
});
