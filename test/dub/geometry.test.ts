import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { FrameGeometry } from '../../src/dub/geometry.ts';
import { CLOSED_GAP_CM, closingWeights } from '../../src/dub/mouth-fit.ts';
import {
  deformVertices,
  FACE_VERTEX_COUNT,
  type FaceModel,
  type FacePose,
  loadFaceModel,
  poseVertices,
} from '../../src/face/index.ts';

let model: FaceModel;
beforeAll(async () => {
  model = await loadFaceModel();
});

const pose: FacePose = { pitch: 0.05, yaw: -0.15, roll: 0.04, pxPerCm: 14, txPx: 300, tyPx: 280 };

/** 468 × (x, y) landmarks of the model posed with `weights`, plus a fixed small wobble. */
function landmarksOf(identity: ArrayLike<number>, weights: Float32Array): Float32Array {
  const posed = poseVertices(model, identity, weights, pose);
  const out = new Float32Array(FACE_VERTEX_COUNT * 2);
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    out[i * 2] = (posed[i * 3] as number) + 0.4 * Math.sin(i * 1.7);
    out[i * 2 + 1] = (posed[i * 3 + 1] as number) + 0.4 * Math.cos(i * 2.3);
  }
  return out;
}

/** Mean vertical gap between the inner-lip contours (corners excluded), in the units of `p`. */
function innerGap(p: ArrayLike<number>, stride: number): number {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  let sum = 0;
  for (let k = 1; k + 1 < upper.length; k++) {
    sum +=
      (p[(lower[k] as number) * stride + 1] as number) -
      (p[(upper[k] as number) * stride + 1] as number);
  }
  return sum / (upper.length - 2);
}

describe('dubbed-frame geometry', () => {
  it('starts from exactly the landmarks and leaves the upper face where it is', () => {
    const source = new Float32Array(52);
    source[BLENDSHAPE_INDEX.jawOpen] = 0.3;
    source[BLENDSHAPE_INDEX.eyeBlinkLeft] = 0.6;
    source[BLENDSHAPE_INDEX.browInnerUp] = 0.4;
    const landmarks = landmarksOf(model.neutral, source);
    const audio = new Float32Array(52);
    audio[BLENDSHAPE_INDEX.mouthFunnel] = 0.5;
    const g = new FrameGeometry(model);
    g.update(model.neutral, landmarks, source, audio, 1, pose);
    let worst = 0;
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      worst = Math.max(
        worst,
        Math.abs((g.source[i * 3] as number) - (landmarks[i * 2] as number)),
        Math.abs((g.source[i * 3 + 1] as number) - (landmarks[i * 2 + 1] as number)),
      );
    }
    expect(worst).toBeLessThan(1e-3);
    // Eyes and brows: not moved at all.
    for (const set of [
      model.sets.leftEye,
      model.sets.rightEye,
      model.sets.leftBrow,
      model.sets.noseBridge,
    ]) {
      for (const i of set) {
        expect(Math.abs((g.target[i * 3] as number) - (g.source[i * 3] as number))).toBeLessThan(
          1e-3,
        );
        expect(
          Math.abs((g.target[i * 3 + 1] as number) - (g.source[i * 3 + 1] as number)),
        ).toBeLessThan(1e-3);
      }
    }
    // The Controls weights: audio mouth, source eyes and brows.
    expect(g.frameWeights[BLENDSHAPE_INDEX.mouthFunnel]).toBeCloseTo(0.5, 6);
    expect(g.frameWeights[BLENDSHAPE_INDEX.jawOpen]).toBe(0);
    expect(g.frameWeights[BLENDSHAPE_INDEX.eyeBlinkLeft]).toBeCloseTo(0.6, 6);
    // Strength 0: nothing moves.
    g.update(model.neutral, landmarks, source, audio, 0, pose);
    for (let o = 0; o < g.target.length; o++)
      expect(g.target[o]).toBeCloseTo(g.source[o] as number, 4);
  });

  it('closes an open source mouth when the new mouth is closed, even on an ajar neutral', () => {
    // A calibrated neutral whose lips rest 4 mm apart (speech-only calibration).
    const open = new Float32Array(52);
    open[BLENDSHAPE_INDEX.jawOpen] = 0.15;
    const ajar = deformVertices(model, model.neutral, open);
    expect(innerGap(ajar, 3)).toBeGreaterThan(0.2);
    const source = new Float32Array(52);
    source[BLENDSHAPE_INDEX.jawOpen] = 0.35;
    const landmarks = landmarksOf(ajar, source);
    const g = new FrameGeometry(model);
    g.update(ajar, landmarks, source, new Float32Array(52), 1, pose);
    expect(innerGap(g.source, 3)).toBeGreaterThan(8);
    // Closed to ~0.2 mm: under half a pixel at 14 px/cm (plus the wobble's share).
    expect(Math.abs(innerGap(g.target, 3))).toBeLessThan(0.6);
    // The new mouth opens when the audio says so.
    const speak = new Float32Array(52);
    speak[BLENDSHAPE_INDEX.jawOpen] = 0.3;
    g.update(ajar, landmarks, source, speak, 1, pose);
    expect(innerGap(g.target, 3)).toBeGreaterThan(5);
  });

  it('closes a rest mouth that is ajar with closing shapes only, and leaves a closed one', () => {
    const open = new Float32Array(52);
    open[BLENDSHAPE_INDEX.jawOpen] = 0.2;
    open[BLENDSHAPE_INDEX.mouthUpperUpLeft] = 0.3;
    open[BLENDSHAPE_INDEX.mouthUpperUpRight] = 0.3;
    const ajar = deformVertices(model, model.neutral, open);
    const closing = closingWeights(model, ajar);
    // Each group only closes: the jaw up, the upper lip down (never the reverse).
    expect(closing[BLENDSHAPE_INDEX.jawOpen]).toBeLessThan(0);
    expect(closing[BLENDSHAPE_INDEX.mouthUpperUpLeft]).toBeLessThanOrEqual(0);
    expect(closing[BLENDSHAPE_INDEX.mouthUpperUpLeft]).toBe(
      closing[BLENDSHAPE_INDEX.mouthUpperUpRight],
    );
    expect(closing[BLENDSHAPE_INDEX.mouthClose]).toBeGreaterThanOrEqual(0);
    // Most of the gap goes (the ridge keeps a little).
    const closed = deformVertices(model, ajar, closing);
    expect(innerGap(closed, 3)).toBeLessThan(0.25 * innerGap(ajar, 3));
    // Already closed (within 0.2 mm of meeting): nothing to do.
    const shut = deformVertices(model, model.neutral, closingWeights(model, model.neutral));
    expect(innerGap(shut, 3)).toBeLessThan(innerGap(model.neutral, 3));
    expect(
      Array.from(closingWeights(model, Float32Array.from(shut))).every((w) => Math.abs(w) < 0.05),
    ).toBe(true);
    expect(CLOSED_GAP_CM).toBeLessThan(0.05);
  });
});

describe('dubbed-frame geometry, pinned', () => {
  /**
   * The meshes of fixed inputs, byte for byte: the geometry's speed work (fused deformations,
   * the inner-lip gaps computed only where they are read) must not move a vertex by one ulp.
   * A calibrated neutral that is ajar (closing weights in play), source weights with zeros,
   * strengths 0, 0.6 and 1.
   */
  it('gives the pinned meshes', () => {
    const calibrated = Float32Array.from(model.neutral);
    for (const v of model.sets.lipsLowerInner) {
      const j = (v as number) * 3 + 1;
      calibrated[j] = (calibrated[j] as number) + 0.25;
    }
    const g = new FrameGeometry(model);
    const hash = createHash('sha256');
    for (const [i, strength] of [0, 0.6, 1].entries()) {
      const source = new Float32Array(52);
      source[BLENDSHAPE_INDEX.jawOpen] = 0.2 + 0.1 * i;
      source[BLENDSHAPE_INDEX.mouthSmileLeft] = 0.3;
      source[BLENDSHAPE_INDEX.eyeBlinkRight] = 0.7;
      const landmarks = landmarksOf(calibrated, source);
      const audio = new Float32Array(52);
      audio[BLENDSHAPE_INDEX.jawOpen] = 0.5 - 0.2 * i;
      audio[BLENDSHAPE_INDEX.mouthFunnel] = 0.3;
      audio[BLENDSHAPE_INDEX.mouthClose] = 0.1 * i;
      g.update(calibrated, landmarks, source, audio, strength, { ...pose, yaw: 0.1 * i - 0.1 });
      for (const a of [g.target, g.source, g.identity, g.frameWeights]) {
        hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      }
    }
    expect(hash.digest('hex')).toBe(
      '4499c663d09d931a510f033833ab8062428e1ddec01eebb600215665ca8b2a99',
    );
  });
});
