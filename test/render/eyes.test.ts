import { beforeAll, describe, expect, it } from 'vitest';
import { type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import {
  loadAvatarReference,
  PART_LABELS,
  Renderer,
  type RenderReference,
} from '../../src/render/index.ts';
import { AVATAR_DIR, frameWith } from './helpers.ts';

const SIZE = 512;
let model: FaceModel;
let reference: RenderReference;

beforeAll(async () => {
  model = await loadFaceModel();
  reference = await loadAvatarReference(AVATAR_DIR);
});

/**
 * The reference with its eye openings painted: red on the image-left half of each eye, blue
 * on the image-right half (found from the labels of the reference frame at image scale).
 */
function paintedEyes(): {
  painted: RenderReference;
  eyes: { x0: number; x1: number; y0: number; y1: number }[];
} {
  const { image } = reference;
  const crop = reference.crop ?? { x: 0, y: 0, width: image.width, height: image.height };
  const r = Renderer.create(model, reference, { size: SIZE });
  const { labels } = r.render(frameWith()).maps;
  const data = image.data.slice();
  const boxes = [0, 1].map(() => ({ x0: SIZE, x1: -1, y0: SIZE, y1: -1 }));
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] !== PART_LABELS.eyes) continue;
    const x = p % r.width;
    const y = (p - x) / r.width;
    const b = boxes[x < r.width / 2 ? 0 : 1] as (typeof boxes)[number];
    b.x0 = Math.min(b.x0, x);
    b.x1 = Math.max(b.x1, x);
    b.y0 = Math.min(b.y0, y);
    b.y1 = Math.max(b.y1, y);
  }
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] !== PART_LABELS.eyes) continue;
    const x = p % r.width;
    const y = (p - x) / r.width;
    const b = boxes[x < r.width / 2 ? 0 : 1] as (typeof boxes)[number];
    const colour = x < (b.x0 + b.x1) / 2 ? [220, 30, 30] : [30, 30, 220];
    // Output pixel → image pixels (the crop is scaled to the output).
    const ix0 = Math.floor(crop.x + (x * crop.width) / r.width);
    const iy0 = Math.floor(crop.y + (y * crop.height) / r.height);
    for (let iy = iy0; iy <= iy0 + Math.ceil(crop.height / r.height); iy++)
      for (let ix = ix0; ix <= ix0 + Math.ceil(crop.width / r.width); ix++)
        data.set(colour, (iy * image.width + ix) * 3);
  }
  return { painted: { ...reference, image: { ...image, data } }, eyes: boxes };
}

describe('closed eyes: lashes from the photo', () => {
  it('the closed lid carries the colours of the photo’s own lid margin, along the lid', () => {
    const { painted, eyes } = paintedEyes();
    const r = Renderer.create(model, painted, { size: SIZE });
    const out = r.render(
      frameWith((f) => {
        f.blendshapes.eyeBlinkLeft = 1;
        f.blendshapes.eyeBlinkRight = 1;
      }),
    ).composite.data;
    for (const b of eyes) {
      // Reddish and bluish pixels in the closed eye's box, left and right of its middle.
      const mid = (b.x0 + b.x1) / 2;
      const count = { redLeft: 0, blueLeft: 0, redRight: 0, blueRight: 0 };
      for (let y = b.y0 - 4; y <= b.y1 + 4; y++) {
        for (let x = b.x0; x <= b.x1; x++) {
          const o = (y * SIZE + x) * 3;
          const [red, g, blue] = [out[o] as number, out[o + 1] as number, out[o + 2] as number];
          const left = x < mid;
          if (red > g + 60 && red > blue + 60) count[left ? 'redLeft' : 'redRight']++;
          if (blue > g + 60 && blue > red + 60) count[left ? 'blueLeft' : 'blueRight']++;
        }
      }
      // A drawn line has one colour; the photo's margin keeps red on the left, blue on the right.
      expect(count.redLeft).toBeGreaterThan(15);
      expect(count.blueRight).toBeGreaterThan(15);
      expect(count.redLeft).toBeGreaterThan(3 * count.redRight);
      expect(count.blueRight).toBeGreaterThan(3 * count.blueLeft);
    }
  });
});
