import { describe, expect, it } from 'vitest';
import { ChestMotion, driveShouldersByChest } from '../../src/body/index.ts';
import { type ControlsFrame, controlsFrameSchema } from '../../src/controls/index.ts';
import { FaceLandmarker, trackVideo } from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { fixture } from '../helpers/media.ts';
import { patchShift } from './helpers.ts';

/**
 * The chest measure (src/body/chest.ts) that drives the tracked shoulders: it must follow the
 * chest, not an arm moving in front of it, and `facecast track`'s shoulders must then move
 * as the real chest does rather than as MoveNet's points (which follow gesturing arms).
 */
const W = 200;
const H = 200;
const SHOULDERS = { left: { x: 140, y: 60 }, right: { x: 60, y: 60 } };

/** Smooth texture (so sub-pixel shifts are well defined). */
function cloth(x: number, y: number): number {
  return 128 + 40 * Math.sin(0.31 * x + 0.2 * y) + 30 * Math.sin(0.17 * x - 0.43 * y);
}
function skin(x: number, y: number): number {
  return 90 + 50 * Math.sin(0.5 * x) * Math.cos(0.37 * y);
}

/** A torso shifted by `chest`, and an arm (a forearm across the lower left chest) by `arm`. */
function frame(chest: { x: number; y: number }, arm: { x: number; y: number }): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inArm = x - arm.x >= 45 && x - arm.x < 75 && y - arm.y >= 80 && y - arm.y < 100;
      const inTorso = x - chest.x >= 45 && x - chest.x < 155 && y - chest.y >= 50;
      const v = inArm
        ? skin(x - arm.x, y - arm.y)
        : inTorso
          ? cloth(x - chest.x, y - chest.y)
          : 200;
      rgb.fill(Math.round(v), (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  return rgb;
}

type Shift = { x: number; y: number };

function restFrame(): ControlsFrame {
  return controlsFrameSchema.parse({});
}

describe('ChestMotion', () => {
  const chestPath: Shift[] = [0, 1.5, 3.25, 2, -1.75, -3].map((x, i) => ({ x, y: 0.5 * (i % 3) }));
  const armPath: Shift[] = [0, 6, 12, 4, -8, 10].map((x, i) => ({ x, y: i * 2 }));
  const still: Shift = { x: 0, y: 0 };

  it('measures the chest shift, not the arm in front of it', () => {
    const anchor = { width: W, height: H, data: frame(still, still) };
    const chest = new ChestMotion(anchor, SHOULDERS);
    expect(chest.patchCount).toBe(6);
    chestPath.forEach((c, i) => {
      const s = chest.measure({ width: W, height: H, data: frame(c, armPath[i] ?? still) });
      expect(Math.abs((s?.x ?? 0) - c.x)).toBeLessThan(0.4);
      expect(Math.abs((s?.y ?? 0) - c.y)).toBeLessThan(0.4);
    });
  });

  it('drives both shoulders by the chest, re-based to the tracked rest pose', () => {
    const sw = 80;
    // Tracked shoulders follow the arm (as MoveNet's do on a gesturing speaker).
    const frames = armPath.map((a) => {
      const f = restFrame();
      f.body.leftShoulder = { x: a.x / sw, y: a.y / sw, z: 0 };
      f.body.rightShoulder = { x: a.x / sw, y: a.y / sw, z: 0 };
      f.body.leftWrist = { x: 0.4, y: 0, z: 0 };
      return f;
    });
    const shifts = chestPath.map((c) => ({ ...c }));
    driveShouldersByChest(frames, shifts, sw);
    const base = frames[0]?.body.leftShoulder.x as number;
    frames.forEach((f, i) => {
      const c = chestPath[i] as { x: number; y: number };
      expect((f.body.leftShoulder.x - base) * sw).toBeCloseTo(c.x, 6);
      expect(f.body.rightShoulder.x).toBe(f.body.leftShoulder.x);
      expect(f.body.leftWrist.x).toBe(0.4);
    });
  });

  it('follows nothing on a plain shirt', () => {
    const plain = new Uint8Array(W * H * 3).fill(120);
    const chest = new ChestMotion({ width: W, height: H, data: plain }, SHOULDERS);
    expect(chest.patchCount).toBe(0);
    expect(chest.measure({ width: W, height: H, data: plain })).toBeUndefined();
  });

  it('rejects a frame of another size', () => {
    const chest = new ChestMotion(
      { width: W, height: H, data: frame({ x: 0, y: 0 }, { x: 0, y: 0 }) },
      SHOULDERS,
    );
    expect(() => chest.measure({ width: 10, height: 10, data: new Uint8Array(300) })).toThrow(
      RangeError,
    );
  });
});

describe('facecast track drives the shoulders by the chest (a gesturing TANGO speaker)', () => {
  const CLIP = fixture('body/halfbody_demo1_gesture.mp4'); // training speaker, both arms gesturing

  it("moves the tracked shoulders as the real chest moves, not as MoveNet's points", async () => {
    const [chest, points] = [
      await trackVideo(CLIP, { bodyEvery: 1 }),
      await trackVideo(CLIP, { bodyEvery: 1, chest: false }),
    ];
    const frames: Uint8Array[] = [];
    let size = { width: 0, height: 0 };
    for await (const f of await openVideoFrames(CLIP, { fps: 25, maxSize: 512 })) {
      frames.push(f.rgb.slice());
      size = { width: f.width, height: f.height };
    }
    // The real chest's horizontal shift from frame 0 (upper chest, below the neckline).
    const first = frames[0] as Uint8Array;
    const landmarker = await FaceLandmarker.load({ body: true });
    const { body } = await landmarker.detect({ ...size, data: first }, { body: true, face: false });
    await landmarker.close();
    const joint = (name: string) => body?.keypoints.find((k) => k.name === name) ?? { x: 0, y: 0 };
    const [l, r] = [joint('leftShoulder'), joint('rightShoulder')];
    const sw = Math.hypot(l.x - r.x, l.y - r.y);
    const at = { x: (l.x + r.x) / 2, y: (l.y + r.y) / 2 + 0.2 * sw };
    const real = frames.map((f) => patchShift(first, f, at, size, 14, 10).dx);
    const mid = (t: typeof chest, i: number) => {
      const b = t.sequence.frames[i]?.body;
      return b ? ((b.leftShoulder.x + b.rightShoulder.x) / 2) * sw : 0;
    };
    const err = (t: typeof chest) => {
      let e = 0;
      real.forEach((r, i) => {
        e += Math.abs(mid(t, i) - mid(t, 0) - r);
      });
      return e / real.length;
    };
    // MoveNet's points stray from the chest (they follow the arms); the chest-driven ones do not.
    console.log(
      `mean |tracked − real chest| px: MoveNet points ${err(points).toFixed(2)}, chest ${err(chest).toFixed(2)}`,
    );
    expect(err(points)).toBeGreaterThan(1);
    expect(err(chest)).toBeLessThan(0.5 * err(points));
  }, 180_000);
});
