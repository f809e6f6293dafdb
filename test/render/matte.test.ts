import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import {
  createRgbImage,
  loadAvatarReference,
  PART_LABELS,
  Renderer,
  type RenderReference,
  resizeRgb,
} from '../../src/render/index.ts';
import { PersonSegmenter } from '../../src/segmentation/index.ts';
import { AVATAR_DIR, frameWith, psnr, referenceFrame } from './helpers.ts';

const SIZE = 256;
const TURN = 0.5; // rad: a large head turn
let model: FaceModel;
let reference: RenderReference;
let segmenter: PersonSegmenter;
let photo: Uint8Array; // the reference at output size
let photoMatte: Uint8Array;

beforeAll(async () => {
  model = await loadFaceModel();
  reference = await loadAvatarReference(AVATAR_DIR);
  segmenter = await PersonSegmenter.load();
  photo = resizeRgb(reference.image, createRgbImage(SIZE, SIZE)).data;
  photoMatte = (await segmenter.segment({ width: SIZE, height: SIZE, data: photo })).data;
});
afterAll(() => segmenter.close());

/** Renders a yaw turn; returns the composite and the segmented person of the output. */
async function turned(ref: RenderReference, yaw: number) {
  const renderer = Renderer.create(model, ref, { size: SIZE });
  const { composite, maps } = renderer.render(frameWith((f) => (f.head.yaw = yaw)));
  const out = composite.data.slice();
  const labels = maps.labels.slice();
  const matte = (await segmenter.segment({ width: SIZE, height: SIZE, data: out })).data;
  return { out, labels, matte };
}

/** Mean |Δ| per channel over pixels `where` accepts, and how many there were. */
function meanChange(a: Uint8Array, b: Uint8Array, where: (p: number) => boolean) {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < a.length / 3; p++) {
    if (!where(p)) continue;
    for (let c = 0; c < 3; c++)
      sum += Math.abs((a[p * 3 + c] as number) - (b[p * 3 + c] as number));
    n++;
  }
  return { mean: sum / Math.max(1, 3 * n), n };
}

describe('Renderer with the person matte (models/segmentation)', () => {
  it('loadAvatarReference attaches the photo’s matte; the reference frame is still exact', () => {
    expect(reference.person?.length).toBe(reference.image.width * reference.image.height);
    const renderer = Renderer.create(model, reference, { size: SIZE });
    const { composite } = renderer.render(referenceFrame(reference));
    expect(psnr(composite.data, photo)).toBeGreaterThanOrEqual(45);
  });

  it('a large turn leaves the background still (and moved it without the matte)', async () => {
    const withMatte = await turned(reference, TURN);
    const without = await turned({ ...reference, person: undefined }, TURN);
    // Background in the photo and in both renders, by the segmentation model itself.
    const background = (p: number) =>
      (photoMatte[p] as number) < 10 &&
      (withMatte.matte[p] as number) < 10 &&
      (without.matte[p] as number) < 10;
    const held = meanChange(withMatte.out, photo, background);
    const dragged = meanChange(without.out, photo, background);
    expect(held.n).toBeGreaterThan(SIZE * SIZE * 0.2);
    expect(held.mean).toBeLessThan(0.5);
    expect(dragged.mean).toBeGreaterThan(4 * held.mean + 1);
  });

  it('hair moves with the head', async () => {
    const { matte } = await turned(reference, TURN);
    // Rows above the face (no face pixels in the photo's render): the person there is hair.
    const still = Renderer.create(model, reference, { size: SIZE }).render(frameWith()).maps;
    const face = (p: number) =>
      still.labels[p] !== PART_LABELS.background && still.labels[p] !== PART_LABELS.body;
    let top = SIZE;
    for (let p = 0; p < SIZE * SIZE; p++) if (face(p)) top = Math.min(top, Math.floor(p / SIZE));
    const centroid = (m: Uint8Array) => {
      let sx = 0;
      let sw = 0;
      for (let y = 0; y < top; y++) {
        for (let x = 0; x < SIZE; x++) {
          const w = (m[y * SIZE + x] as number) > 128 ? 1 : 0;
          sx += w * x;
          sw += w;
        }
      }
      return { x: sx / Math.max(1, sw), area: sw };
    };
    const before = centroid(photoMatte);
    const after = centroid(matte);
    expect(before.area).toBeGreaterThan(500); // s42 has hair above the forehead
    // Yaw moves the face towards image right (the nose test in render.test.ts); the hair
    // above it follows by several pixels at 256 px.
    expect(after.x - before.x).toBeGreaterThan(4);
  });
});
