import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlsFrame } from '../../src/controls/index.ts';
import {
  createAvatar,
  type FaceLandmarker,
  type FaceModel,
  FaceLandmarker as Landmarker,
  loadFaceModel,
} from '../../src/face/index.ts';
import { loadAvatarReference, Renderer, type RenderReference } from '../../src/render/index.ts';
import { PersonSegmenter } from '../../src/segmentation/index.ts';
import { patchShift } from '../body/helpers.ts';
import { fixture, tempDir } from '../helpers/media.ts';
import { frameWith, psnr } from './helpers.ts';

// A half-body photo (a frame of a TANGO training clip, see test/fixtures/README.md): the
// shoulders are detected, so the body Controls have a scale in pixels.
const PHOTO = fixture('photos/tango_demo1_halfbody.jpg');
const SIZE = 256;

let model: FaceModel;
let landmarker: FaceLandmarker;
let segmenter: PersonSegmenter;
let reference: RenderReference;
/** Shoulder joints (subject's left, right) and the shoulder width in output px. */
let left: { x: number; y: number };
let right: { x: number; y: number };
let shoulderWidth: number;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  model = await loadFaceModel();
  landmarker = await Landmarker.load();
  segmenter = await PersonSegmenter.load();
  const temp = await tempDir('facecast-torso-');
  cleanup = temp.cleanup;
  const dir = temp.dir;
  await createAvatar(PHOTO, dir, { landmarker, model });
  reference = await loadAvatarReference(dir);
  const sh = reference.shoulders;
  const crop = reference.crop;
  if (!sh || !crop) throw new Error('the half-body fixture must have detected shoulders');
  // Image px → output px (the avatar's crop is the output framing).
  const toOutput = (p: { x: number; y: number }) => ({
    x: ((p.x - crop.x) * SIZE) / crop.width,
    y: ((p.y - crop.y) * SIZE) / crop.height,
  });
  left = toOutput(sh.left);
  right = toOutput(sh.right);
  shoulderWidth = Math.hypot(left.x - right.x, left.y - right.y);
}, 60_000);
afterAll(async () => {
  segmenter.close();
  landmarker.close();
  await cleanup();
});

function render(edit: (f: ControlsFrame) => void): Uint8Array {
  const renderer = Renderer.create(model, reference, { size: SIZE, steady: false });
  return renderer.render(frameWith(edit)).composite.data.slice();
}

/** A point on the shoulder line a quarter of the way from a joint to the neck (inside the frame). */
function inward(joint: { x: number; y: number }) {
  const mx = (left.x + right.x) / 2;
  const my = (left.y + right.y) / 2;
  return { x: joint.x + 0.25 * (mx - joint.x), y: joint.y + 0.25 * (my - joint.y) };
}

/** Where a patch of `a` centred at `at` went in `b` (both `size` px square). */
function shiftOf(a: Uint8Array, b: Uint8Array, at: { x: number; y: number }, size = SIZE) {
  return patchShift(a, b, at, { width: size, height: size });
}

describe('the torso pass (src/render/torso.ts)', () => {
  it('moves the shoulders by the body Controls, in shoulder widths, and leaves the face alone', () => {
    const still = render(() => {});
    const sway = 0.04;
    const lift = -0.03;
    const moved = render((f) => {
      f.body.leftShoulder = { x: sway, y: lift, z: 0 };
      f.body.rightShoulder = { x: sway, y: lift, z: 0 };
    });
    const expectX = sway * shoulderWidth;
    const expectY = lift * shoulderWidth;
    expect(Math.abs(expectX)).toBeGreaterThan(4);
    for (const joint of [left, right]) {
      const { dx, dy } = shiftOf(still, moved, inward(joint));
      expect(Math.abs(dx - expectX)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(dy - expectY)).toBeLessThanOrEqual(1.5);
    }
    // The face (above the shoulders' top by a face height) is the face warp's alone.
    const faceRows = Math.round(Math.min(left.y, right.y) - 0.45 * shoulderWidth);
    expect(psnr(still, moved, (p) => Math.floor(p / SIZE) < faceRows)).toBeGreaterThanOrEqual(45);
  });

  it('holds the background still beside the moving shoulders (person matte)', async () => {
    const still = render(() => {});
    const moved = render((f) => {
      f.body.leftShoulder = { x: 0.05, y: 0, z: 0 };
      f.body.rightShoulder = { x: 0.05, y: 0, z: 0 };
    });
    const matte = (await segmenter.segment({ width: SIZE, height: SIZE, data: still })).data;
    // Background beside the person on the side it moves away from (the person moves right:
    // the band 2–14 px left of its left edge), at shoulder height and below.
    const top = Math.round(Math.min(left.y, right.y));
    const trailing = (p: number) => {
      const x = p % SIZE;
      const y = Math.floor(p / SIZE);
      if (y < top || (matte[p] as number) > 10) return false;
      for (let k = 2; k <= 14; k++) {
        if (x + k < SIZE && (matte[y * SIZE + x + k] as number) > 128) return true;
      }
      return false;
    };
    expect(psnr(still, moved, trailing)).toBeGreaterThanOrEqual(48);
    // …while the person there did move.
    expect(
      psnr(still, moved, (p) => Math.floor(p / SIZE) >= top && (matte[p] as number) > 240),
    ).toBeLessThan(30);
  });

  it('moves the chest less further down: the torso pivots about the hips', () => {
    // The whole photo as the output (no talking-head crop), so the chest below the shoulders
    // is in view; 384 px = the photo's own size.
    const size = 384;
    const whole = { ...reference, crop: { x: 0, y: 0, width: size, height: size } };
    const sh = reference.shoulders as NonNullable<RenderReference['shoulders']>;
    const width = Math.hypot(sh.left.x - sh.right.x, sh.left.y - sh.right.y);
    const renderer = Renderer.create(model, whole, { size, steady: false });
    const still = renderer.render(frameWith(() => {})).composite.data.slice();
    const sway = 0.06;
    const moved = renderer
      .render(
        frameWith((f) => {
          f.body.leftShoulder = { x: sway, y: 0, z: 0 };
          f.body.rightShoulder = { x: sway, y: 0, z: 0 };
        }),
      )
      .composite.data.slice();
    const full = sway * width;
    const mid = { x: (sh.left.x + sh.right.x) / 2, y: (sh.left.y + sh.right.y) / 2 };
    const shift = (at: { x: number; y: number }) => shiftOf(still, moved, at, size).dx;
    expect(full).toBeGreaterThan(6);
    // At the shoulders the full shift; 0.7 shoulder widths lower (half-way to the hips,
    // HIP_SHOULDER_WIDTHS below), about half of it.
    expect(Math.abs(shift({ x: mid.x + 0.3 * width, y: mid.y }) - full)).toBeLessThanOrEqual(1.5);
    const chest = shift({ x: mid.x + 0.3 * width, y: mid.y + 0.7 * width });
    expect(chest).toBeGreaterThan(0.25 * full);
    expect(chest).toBeLessThan(0.75 * full);
  });

  it('keeps the head on the neck through large turns while the shoulders move', () => {
    // The photo's geometry (mesh, shoulders, matte) with an image whose colour is its own
    // pixel coordinate (red: x, green: y): the warps sample it bilinearly, so every output
    // pixel tells where it was taken from (to 1.5 px, 8-bit steps).
    const size = 384;
    const image = coordinateImage(size);
    const whole = { ...reference, image, crop: { x: 0, y: 0, width: size, height: size } };
    const sh = reference.shoulders as NonNullable<RenderReference['shoulders']>;
    const renderer = Renderer.create(model, whole, { size, steady: false });
    const midX = (sh.left.x + sh.right.x) / 2;
    const shoulderY = Math.round(Math.min(sh.left.y, sh.right.y));
    const width = Math.hypot(sh.left.x - sh.right.x, sh.left.y - sh.right.y);
    const poses = [
      { pitch: 0.35, yaw: 0.5, roll: 0.25 },
      { pitch: -0.3, yaw: -0.5, roll: -0.3 },
      { pitch: 0.25, yaw: -0.35, roll: 0.35 },
    ];
    let worst = 0;
    for (const [i, head] of poses.entries()) {
      const sway = i % 2 ? -0.06 : 0.06;
      const out = renderer.render(
        frameWith((f) => {
          f.head = { ...f.head, ...head };
          f.body.leftShoulder = { x: sway, y: -0.04, z: 0 };
          f.body.rightShoulder = { x: sway, y: 0.02, z: 0 };
        }),
      );
      const rgb = out.composite.data;
      for (const dx of [-0.1, 0, 0.1]) {
        const x = Math.round(midX + dx * width);
        // From just below this frame's chin (the lowest face pixel in the column: above it
        // the jaw may rightly occlude the neck) down to the shoulder line.
        const chin = lowestFaceRow(out.maps.labels, size, x);
        const k = (size - 1) / 255;
        const from = (y: number) => ({
          x: (rgb[(y * size + x) * 3] as number) * k,
          y: (rgb[(y * size + x) * 3 + 1] as number) * k,
        });
        for (let y = chin + 3; y < shoulderY; y++) {
          const a = from(y);
          const b = from(y + 1);
          worst = Math.max(worst, Math.hypot(b.x - a.x, b.y - a.y - 1));
        }
      }
    }
    // Where each pixel comes from changes smoothly down the neck, row to row: no seam
    // between the head's warp and the torso's, however far the head turns. Measured 3.6 px
    // (a 1.5 px coordinate step plus the neck's shear); a torso pass that resamples the
    // reference instead of the head-warped frame tears the neck at the chin by 15 px, and
    // one without the chin-to-shoulder ramp by 18 px.
    expect(worst).toBeLessThanOrEqual(6);
  });
});

/** An RGB image whose red is x and green is y, scaled to 0–255 (blue 128). */
function coordinateImage(size: number) {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 3;
      data[o] = Math.round((x * 255) / (size - 1));
      data[o + 1] = Math.round((y * 255) / (size - 1));
      data[o + 2] = 128;
    }
  }
  return { width: size, height: size, data };
}

/** The lowest row whose pixel in column `x` is labelled face (skin … brows). */
function lowestFaceRow(labels: Uint8Array, size: number, x: number): number {
  let chin = 0;
  for (let y = 0; y < size; y++) {
    const l = labels[y * size + x] as number;
    if (l >= 1 && l <= 5) chin = y;
  }
  return chin;
}
