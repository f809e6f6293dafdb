import { describe, expect, it } from 'vitest';
import {
  anglesFromRotation,
  applyHeadDelta,
  type FacePose,
  loadFaceModel,
  poseVertices,
  rotationMatrix,
} from './helpers.ts';

const apply = (r: Float64Array, v: [number, number, number]) =>
  [0, 1, 2].map(
    (i) =>
      (r[i * 3] as number) * v[0] +
      (r[i * 3 + 1] as number) * v[1] +
      (r[i * 3 + 2] as number) * v[2],
  );
const NOSE: [number, number, number] = [0, 0, -1]; // towards the camera
const TOP: [number, number, number] = [0, -1, 0]; // top of the head (y down)

describe('head rotation convention (Controls: radians, subject-relative)', () => {
  it('pitch > 0 nods down: the nose moves down the image', () => {
    expect(apply(rotationMatrix(0.3, 0, 0), NOSE)[1]).toBeGreaterThan(0.2);
  });
  it("yaw > 0 turns to the subject's left: the nose moves to image right (+x)", () => {
    expect(apply(rotationMatrix(0, 0.3, 0), NOSE)[0]).toBeGreaterThan(0.2);
  });
  it("roll > 0 tilts to the subject's left: the top of the head moves to +x", () => {
    expect(apply(rotationMatrix(0, 0, 0.3), TOP)[0]).toBeGreaterThan(0.2);
  });
  it('anglesFromRotation inverts rotationMatrix', () => {
    for (const [p, y, r] of [
      [0.1, -0.4, 0.2],
      [-0.5, 0.3, -0.7],
      [0, 0, 0],
    ] as const) {
      const back = anglesFromRotation(rotationMatrix(p, y, r));
      expect(back.pitch).toBeCloseTo(p, 10);
      expect(back.yaw).toBeCloseTo(y, 10);
      expect(back.roll).toBeCloseTo(r, 10);
    }
  });
});

describe('poseVertices (weak perspective shared by fitter and renderer)', () => {
  it('projects the neutral frontally as scale · v + t, depth = scale · z', async () => {
    const model = await loadFaceModel();
    const pose: FacePose = { pitch: 0, yaw: 0, roll: 0, pxPerCm: 20, txPx: 100, tyPx: 50 };
    const out = poseVertices(model, model.neutral, new Float32Array(52), pose);
    for (const i of [0, 13, 152, 467]) {
      expect(out[i * 3]).toBeCloseTo(20 * (model.neutral[i * 3] as number) + 100, 3);
      expect(out[i * 3 + 1]).toBeCloseTo(20 * (model.neutral[i * 3 + 1] as number) + 50, 3);
      expect(out[i * 3 + 2]).toBeCloseTo(20 * (model.neutral[i * 3 + 2] as number), 3);
    }
  });
  it('adds the blendshape deltas before projecting', async () => {
    const model = await loadFaceModel();
    const pose: FacePose = { pitch: 0, yaw: 0, roll: 0, pxPerCm: 10, txPx: 0, tyPx: 0 };
    const weights = new Float32Array(52);
    weights[17] = 1; // jawOpen
    const rest = poseVertices(model, model.neutral, new Float32Array(52), pose);
    const open = poseVertices(model, model.neutral, weights, pose);
    const jawDy = model.basis[(17 * 468 + 14) * 3 + 1] as number;
    expect((open[14 * 3 + 1] as number) - (rest[14 * 3 + 1] as number)).toBeCloseTo(10 * jawDy, 3);
  });
});

describe('applyHeadDelta', () => {
  const base: FacePose = { pitch: 0.05, yaw: -0.1, roll: 0.02, pxPerCm: 30, txPx: 200, tyPx: 220 };
  const options = { focalPx: 512, interOcularCm: 6.25 };
  it('is the identity for a zero delta', () => {
    const out = applyHeadDelta(base, { pitch: 0, yaw: 0, roll: 0, x: 0, y: 0, z: 0 }, options);
    expect(out.pitch).toBeCloseTo(base.pitch, 10);
    expect(out.yaw).toBeCloseTo(base.yaw, 10);
    expect(out.pxPerCm).toBeCloseTo(base.pxPerCm, 10);
    expect(out.txPx).toBeCloseTo(base.txPx, 10);
  });
  it('moves in inter-ocular units and shrinks when the head moves away', () => {
    const out = applyHeadDelta(base, { pitch: 0, yaw: 0, roll: 0, x: 1, y: -0.5, z: 1 }, options);
    const iodPx = base.pxPerCm * options.interOcularCm;
    expect(out.txPx - base.txPx).toBeCloseTo(iodPx, 6);
    expect(out.tyPx - base.tyPx).toBeCloseTo(-0.5 * iodPx, 6);
    // distance 512 / 187.5 = 2.73 IOD; one IOD farther → scale × 2.73 / 3.73.
    expect(out.pxPerCm / base.pxPerCm).toBeCloseTo(2.7307 / 3.7307, 3);
  });
});
