import { describe, expect, it } from 'vitest';
import { type BodyPose, bodyPoseSchema } from '../../src/controls/index.ts';
import { LimbWarp } from '../../src/render/limbs.ts';

/**
 * The limb pass (src/render/limbs.ts): a synthetic photo with a person (a torso and a right
 * arm hanging down, then bent at the elbow) on a background. Driving the wrist up must put
 * the hand's texture where the pose says, show the background where the hand was, and leave
 * the background elsewhere (and the other arm's side) untouched.
 */
const W = 240;
const H = 240;
const joints = {
  leftShoulder: { x: 170, y: 60 },
  rightShoulder: { x: 70, y: 60 },
  rightElbow: { x: 60, y: 130 },
  rightWrist: { x: 60, y: 190 },
};

function backgroundAt(x: number, y: number): number {
  return 60 + ((x * 3 + y) % 40);
}
function armAt(x: number, y: number): number {
  return 150 + 60 * Math.sin(0.7 * x) * Math.cos(0.5 * y);
}

function scene() {
  const image = new Uint8Array(W * H * 3);
  const plate = new Uint8Array(W * H * 3);
  const matte = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const torso = x >= 80 && x < 180 && y >= 50;
      // The right arm: a 24 px wide bar down from the shoulder, left of the torso.
      const arm = x >= 48 && x < 72 && y >= 55 && y < 215;
      const v = torso ? 200 : arm ? armAt(x, y) : backgroundAt(x, y);
      image.fill(Math.round(v), p * 3, p * 3 + 3);
      plate.fill(backgroundAt(x, y), p * 3, p * 3 + 3);
      matte[p] = torso || arm ? 255 : 0;
    }
  }
  return { image, plate, matte };
}

function pose(edit: (b: BodyPose) => void): BodyPose {
  const b = bodyPoseSchema.parse({});
  edit(b);
  return b;
}

const value = (img: Uint8Array, x: number, y: number) => img[(y * W + x) * 3] as number;

describe('LimbWarp', () => {
  it('moves the forearm and hand where the pose says, the background stays', () => {
    const { image, plate, matte } = scene();
    const limbs = new LimbWarp(W, H);
    limbs.setReference(joints);
    expect(limbs.segmentCount).toBe(2);
    // Forearm raised sideways: the wrist goes 60 px out to the image's left and up 60.
    const body = pose((b) => {
      b.rightWrist = { x: -0.6, y: -0.6, z: 0 };
    });
    const out = image.slice();
    expect(limbs.apply(body, image, out, { matte, plate })).toBe(true);
    // The forearm turned +90° about the elbow (60, 130), a pixel corner: the reference pixel
    // d px down the forearm and `across` px to the image's right lands d px left of the elbow
    // and `across` px down (pixel centres: the reference row is d − 1 below the elbow's).
    for (const d of [20, 40, 60]) {
      for (const across of [-6, 0, 6]) {
        const got = value(out, 60 - d, 130 + across);
        expect(Math.abs(got - value(image, 60 + across, 129 + d))).toBeLessThan(3);
      }
    }
    // Where the hand was (below the elbow, now empty): the background plate.
    expect(Math.abs(value(out, 60, 180) - backgroundAt(60, 180))).toBeLessThan(4);
    // Far background and the torso are untouched.
    for (const [x, y] of [
      [220, 20],
      [200, 220],
      [130, 150],
      [10, 230],
    ] as const)
      expect(value(out, x, y)).toBe(value(image, x, y));
  });

  it('leaves an arm held in front of the torso to the torso pass', () => {
    const limbs = new LimbWarp(W, H);
    // The right hand in front of the chest (between the shoulder joints, below them).
    limbs.setReference({
      ...joints,
      rightElbow: { x: 80, y: 130 },
      rightWrist: { x: 110, y: 150 },
    });
    expect(limbs.segmentCount).toBe(0);
  });

  it('leaves the frame alone at the rest pose and without arm joints', () => {
    const { image, plate, matte } = scene();
    const limbs = new LimbWarp(W, H);
    limbs.setReference(joints);
    const out = image.slice();
    expect(limbs.apply(bodyPoseSchema.parse({}), image, out, { matte, plate })).toBe(false);
    expect(out).toEqual(image);
    limbs.setReference({ leftShoulder: joints.leftShoulder, rightShoulder: joints.rightShoulder });
    expect(limbs.segmentCount).toBe(0);
    const moved = pose((b) => {
      b.rightWrist = { x: -0.6, y: -0.6, z: 0 };
    });
    expect(limbs.apply(moved, image, out, { matte, plate })).toBe(false);
    expect(out).toEqual(image);
  });
});
