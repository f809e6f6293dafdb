import { describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX, controlsSequenceSchema } from '../../src/controls/index.ts';
import {
  FaceTracker,
  gaussian,
  laggedCorrelation,
  loadFaceModel,
  poseVertices,
  seededRandom,
  type TrackedFrame,
} from './helpers.ts';

/**
 * A synthetic talking head: jawOpen following a 3 Hz syllable rhythm, a blink at frames
 * 40–44, the head turning slowly, 0.4 px landmark noise, and no face at frames 60–64.
 */
async function synthetic(frames: number) {
  const model = await loadFaceModel();
  const random = seededRandom(5);
  const truth: { jaw: number; blink: number; yaw: number }[] = [];
  const inputs = [];
  for (let f = 0; f < frames; f++) {
    const t = f / 25;
    const jaw = Math.max(0, 0.3 * Math.sin(2 * Math.PI * 3 * t));
    const blink = f >= 40 && f <= 44 ? 1 - Math.abs(f - 42) / 3 : 0;
    const yaw = 0.2 * Math.sin(2 * Math.PI * 0.3 * t);
    truth.push({ jaw, blink, yaw });
    const weights = new Float32Array(52);
    weights[BLENDSHAPE_INDEX.jawOpen] = jaw;
    weights[BLENDSHAPE_INDEX.eyeBlinkLeft] = blink;
    weights[BLENDSHAPE_INDEX.eyeBlinkRight] = blink;
    const pose = { pitch: 0.05, yaw, roll: 0, pxPerCm: 25, txPx: 256 + 10 * t, tyPx: 256 };
    const mesh = poseVertices(model, model.neutral, weights, pose);
    const landmarks = new Float32Array(478 * 3);
    landmarks.set(mesh);
    for (let i = 0; i < 468 * 3; i++)
      if (i % 3 !== 2) landmarks[i] = (landmarks[i] as number) + 0.4 * gaussian(random);
    // Irises at the eye centres (looking ahead).
    for (const [contour, iris] of [
      [model.sets.leftEye, [468, 469, 470, 471, 472]],
      [model.sets.rightEye, [473, 474, 475, 476, 477]],
    ] as const) {
      let cx = 0;
      let cy = 0;
      for (const i of contour) {
        cx += (mesh[i * 3] as number) / contour.length;
        cy += (mesh[i * 3 + 1] as number) / contour.length;
      }
      for (const i of iris) {
        landmarks[i * 3] = cx;
        landmarks[i * 3 + 1] = cy - 0.15 * 25;
      }
    }
    inputs.push({ frameIndex: f, landmarks: f >= 60 && f < 65 ? undefined : landmarks });
  }
  return { model, truth, inputs };
}

describe('FaceTracker (pure core)', () => {
  it('turns landmarks into 25 fps Controls: jaw rhythm, blink, head turn, gaps marked', async () => {
    const { model, truth, inputs } = await synthetic(100);
    const tracker = new FaceTracker(model, { frameWidth: 512, frameHeight: 512 });
    const out: TrackedFrame[] = [];
    for (const input of inputs) out.push(...tracker.process(input));
    out.push(...tracker.flush());
    expect(out.map((f) => f.frameIndex)).toEqual(inputs.map((i) => i.frameIndex));
    expect(out.map((f) => f.timeMs)).toEqual(out.map((_, i) => i * 40));
    // The sequence is a valid Controls file.
    controlsSequenceSchema.parse({ frames: out.map((f) => f.controls) });
    // Frames without a face are marked and hold the previous values.
    for (let f = 60; f < 65; f++) {
      expect(out[f]!.controls.faceFound).toBe(false);
      expect(out[f]!.controls.blendshapes).toEqual(out[59]!.controls.blendshapes);
    }
    expect(out.filter((f) => f.controls.faceFound)).toHaveLength(95);
    const faced = out.filter((f) => f.controls.faceFound);
    const jaw = faced.map((f) => f.controls.blendshapes.jawOpen);
    const jawTruth = faced.map((f) => truth[f.frameIndex]!.jaw);
    expect(laggedCorrelation(jaw, jawTruth, 0)).toBeGreaterThan(0.95);
    expect(Math.max(...jaw)).toBeGreaterThan(0.2);
    // The blink shows (smoothing keeps its timing within a frame).
    const blink = out.map((f) => f.controls.blendshapes.eyeBlinkLeft);
    const peak = blink.indexOf(Math.max(...blink));
    expect(Math.abs(peak - 42)).toBeLessThanOrEqual(1);
    expect(blink[peak]).toBeGreaterThan(0.6);
    expect(blink[20]).toBeLessThan(0.1);
    // Head yaw follows the turn; x drifts right as the head moves 10 px/s.
    const yawError = faced.map((f) => Math.abs(f.controls.head.yaw - truth[f.frameIndex]!.yaw));
    expect(Math.max(...yawError)).toBeLessThan(0.03);
    expect(out[99]!.controls.head.x).toBeGreaterThan(out[5]!.controls.head.x);
    expect(tracker.toJSON()).toMatchObject({ frames: 100, faced: 95, calibrated: true });
  });

  it('holds frames back only while calibrating, then streams', async () => {
    const { model, inputs } = await synthetic(100);
    const tracker = new FaceTracker(model, {
      frameWidth: 512,
      frameHeight: 512,
      calibrationFrames: 10,
      calibrationStride: 2,
    });
    const readyAt = inputs.map((input) => tracker.process(input).length);
    const firstRelease = readyAt.findIndex((n) => n > 0);
    expect(firstRelease).toBe(18); // the 10th sample is faced frame 18
    expect(readyAt[firstRelease]).toBe(19);
    expect(readyAt.slice(firstRelease + 1).every((n) => n === 1)).toBe(true);
    expect(tracker.flush()).toEqual([]);
  });
});
