import { describe, expect, it } from 'vitest';
import {
  type DetectedBody,
  FaceTracker,
  gaussian,
  laggedCorrelation,
  loadFaceModel,
  poseVertices,
  seededRandom,
  type TrackedFrame,
} from './helpers.ts';

/**
 * A still synthetic face with a moving upper body (image px, shoulders 200 px apart): the
 * shoulder line tilts ±0.1 rad at 0.5 Hz, the subject's left wrist rises and falls 60 px at
 * 1 Hz, 2 px keypoint noise, and the wrist is lost (score 0.1) at frames 50–54.
 */
async function synthetic(frames: number) {
  const model = await loadFaceModel();
  const random = seededRandom(3);
  const pose = { pitch: 0, yaw: 0, roll: 0, pxPerCm: 25, txPx: 256, tyPx: 200 };
  const landmarks = new Float32Array(478 * 3);
  landmarks.set(poseVertices(model, model.neutral, new Float32Array(52), pose));
  const truth: { tilt: number; wristY: number }[] = [];
  const inputs = [];
  for (let f = 0; f < frames; f++) {
    const t = f / 25;
    const tilt = 0.1 * Math.sin(2 * Math.PI * 0.5 * t);
    const wristY = -60 * Math.max(0, Math.sin(2 * Math.PI * t));
    truth.push({ tilt, wristY });
    const noisy = (v: number) => v + 2 * gaussian(random);
    // The subject's left shoulder is on the image's right; tilting to their left lowers it.
    const point = (name: string, x: number, y: number, score = 0.9) => ({
      name,
      x: noisy(x),
      y: noisy(y),
      score,
    });
    const body: DetectedBody = {
      score: 0.8,
      keypoints: [
        point('leftShoulder', 256 + 100 * Math.cos(tilt), 330 + 100 * Math.sin(tilt)),
        point('rightShoulder', 256 - 100 * Math.cos(tilt), 330 - 100 * Math.sin(tilt)),
        point('leftElbow', 380, 430),
        point('rightElbow', 130, 430),
        point('leftWrist', 390, 500 + wristY, f >= 50 && f < 55 ? 0.1 : 0.8),
        point('rightWrist', 120, 500),
      ] as DetectedBody['keypoints'],
    };
    inputs.push({ frameIndex: f, landmarks, body });
  }
  return { model, truth, inputs };
}

describe('FaceTracker body channels', () => {
  it('tracks the shoulder tilt as neck roll and the joints in shoulder widths, smoothed, held when lost', async () => {
    const { model, truth, inputs } = await synthetic(150);
    const tracker = new FaceTracker(model, { frameWidth: 512, frameHeight: 512 });
    const out: TrackedFrame[] = [];
    for (const input of inputs) out.push(...tracker.process(input));
    out.push(...tracker.flush());
    const roll = out.map((f) => f.controls.body.neck.roll);
    const tilt = truth.map((t) => t.tilt);
    expect(laggedCorrelation(roll, tilt, 0)).toBeGreaterThan(0.9);
    // Rest is the calibration median, so the roll's range matches the tilt's (0.2 rad).
    expect(Math.max(...roll) - Math.min(...roll)).toBeGreaterThan(0.15);
    expect(Math.max(...roll) - Math.min(...roll)).toBeLessThan(0.25);
    // The wrist's y offset in shoulder widths (200 px): up to 60 px / 200 = 0.3 upwards.
    const wrist = out.map((f) => f.controls.body.leftWrist.y);
    const wristTruth = truth.map((t) => t.wristY / 200);
    const seen = wrist.map((_, f) => (f >= 50 && f < 55 ? Number.NaN : 1));
    expect(
      laggedCorrelation(
        wrist.map((v, f) => v * (seen[f] as number)),
        wristTruth,
        0,
      ),
    ).toBeGreaterThan(0.9);
    expect(Math.max(...wrist) - Math.min(...wrist)).toBeGreaterThan(0.2);
    // Lost for five frames: held (the smoother settles on the last seen value).
    expect(Math.abs((wrist[54] as number) - (wrist[49] as number))).toBeLessThan(0.03);
    // The right wrist never moves: smoothing keeps its 2 px (0.01 shoulder width) noise small.
    const still = out.slice(40).map((f) => f.controls.body.rightWrist.x);
    const mean = still.reduce((a, b) => a + b, 0) / still.length;
    const sd = Math.sqrt(still.reduce((a, b) => a + (b - mean) ** 2, 0) / still.length);
    expect(sd).toBeLessThan(0.006);
  });
});
