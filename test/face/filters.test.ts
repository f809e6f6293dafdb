import { describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import {
  EYE_RADIUS_CM,
  eyeLookWeights,
  gaussian,
  gazeFromLandmarks,
  IRIS_LANDMARKS,
  IRIS_REST_OFFSET_CM,
  loadFaceModel,
  OneEuroFilter,
  poseVertices,
  rotationMatrix,
  seededRandom,
} from './helpers.ts';

describe('OneEuroFilter', () => {
  const params = { minCutoffHz: 2, beta: 0.5, derivativeCutoffHz: 1 };
  it('passes a constant through unchanged', () => {
    const f = new OneEuroFilter(1, 25, params);
    for (let i = 0; i < 20; i++) expect(f.process(Float64Array.of(0.4))[0]).toBeCloseTo(0.4, 12);
  });
  it('reduces jitter on a still signal', () => {
    const f = new OneEuroFilter(1, 25, params);
    const random = seededRandom(3);
    let rawVar = 0;
    let outVar = 0;
    for (let i = 0; i < 500; i++) {
      const x = 0.3 + 0.05 * gaussian(random);
      const y = f.process(Float64Array.of(x))[0] as number;
      if (i > 50) {
        rawVar += (x - 0.3) ** 2;
        outVar += (y - 0.3) ** 2;
      }
    }
    expect(outVar).toBeLessThan(rawVar / 3);
  });
  it('follows a fast step within a few frames (speed raises the cut-off)', () => {
    const f = new OneEuroFilter(1, 25, params);
    for (let i = 0; i < 10; i++) f.process(Float64Array.of(0));
    let y = 0;
    for (let i = 0; i < 4; i++) y = f.process(Float64Array.of(1))[0] as number;
    expect(y).toBeGreaterThan(0.7);
  });
  it('restarts from the next sample after reset()', () => {
    const f = new OneEuroFilter(1, 25, params);
    f.process(Float64Array.of(0));
    f.reset();
    expect(f.process(Float64Array.of(1))[0]).toBe(1);
  });
});

describe('gazeFromLandmarks', () => {
  it("reads a known iris offset as eye rotation (yaw to the subject's left, pitch down positive)", async () => {
    const model = await loadFaceModel();
    const pose = { pitch: 0.1, yaw: 0.2, roll: -0.05, pxPerCm: 30, txPx: 256, tyPx: 256 };
    const mesh = poseVertices(model, model.neutral, new Float32Array(52), pose);
    const landmarks = new Float32Array(478 * 3);
    landmarks.set(mesh);
    // Put each iris where an eye rotated by (yaw 0.25, pitch −0.1) puts it, in the head frame.
    const target = { yaw: 0.25, pitch: -0.1 };
    const offset = [
      EYE_RADIUS_CM * Math.sin(target.yaw) + IRIS_REST_OFFSET_CM.x,
      EYE_RADIUS_CM * Math.sin(target.pitch) + IRIS_REST_OFFSET_CM.y,
    ];
    const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
    for (const [contour, iris] of [
      [model.sets.leftEye, IRIS_LANDMARKS.left],
      [model.sets.rightEye, IRIS_LANDMARKS.right],
    ] as const) {
      let cx = 0;
      let cy = 0;
      for (const i of contour) {
        cx += (mesh[i * 3] as number) / contour.length;
        cy += (mesh[i * 3 + 1] as number) / contour.length;
      }
      const dx =
        pose.pxPerCm *
        ((r[0] as number) * (offset[0] as number) + (r[1] as number) * (offset[1] as number));
      const dy =
        pose.pxPerCm *
        ((r[3] as number) * (offset[0] as number) + (r[4] as number) * (offset[1] as number));
      for (const i of iris) {
        landmarks[i * 3] = cx + dx;
        landmarks[i * 3 + 1] = cy + dy;
      }
    }
    const gaze = gazeFromLandmarks(model, landmarks, pose);
    expect(gaze.leftYaw).toBeCloseTo(0.25, 3);
    expect(gaze.rightYaw).toBeCloseTo(0.25, 3);
    expect(gaze.leftPitch).toBeCloseTo(-0.1, 3);
    // Looking to the subject's left: out for the left eye, in for the right, and up.
    const look = eyeLookWeights(gaze);
    expect(look.get(BLENDSHAPE_INDEX.eyeLookOutLeft)).toBeGreaterThan(0.3);
    expect(look.get(BLENDSHAPE_INDEX.eyeLookInRight)).toBeGreaterThan(0.3);
    expect(look.get(BLENDSHAPE_INDEX.eyeLookInLeft)).toBe(0);
    expect(look.get(BLENDSHAPE_INDEX.eyeLookUpLeft)).toBeGreaterThan(0.15);
    expect(look.get(BLENDSHAPE_INDEX.eyeLookDownLeft)).toBe(0);
  });
});
