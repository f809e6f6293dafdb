import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRgbImage, resizeRgb } from '../../src/render/index.ts';

/** A 512² image of pseudo-random bytes (every pixel different from its neighbours). */
function noise() {
  const image = createRgbImage(512, 512);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 2654435761) >>> 24;
  return image;
}

const hash = (data: Uint8Array) => createHash('sha1').update(data).digest('hex').slice(0, 10);

describe('resizeRgb', () => {
  // Hashes of the first (unseparated, per-output-row) implementation's output: the faster
  // one must give the same bytes (the reanimation kernel's hash test relies on it too).
  const cases: [side: number, out: number, expected: string][] = [
    [180, 256, 'cd823fc8ed'],
    [300, 256, '96362a6c7a'],
    [256, 256, 'dfb78d7491'],
    [400, 512, 'fa159548b6'],
    [256, 512, 'eb5e6c4d66'],
    [700, 256, '63bbf6c363'],
    [333, 1024, '9c1ea7912c'],
  ];
  it.each(cases)(
    'resamples a %i px square region to %i px with the pinned bytes',
    (side, out, expected) => {
      // Regions partly off the image (edges repeat), at fractional rows.
      const region = { x: -20 + (side % 7), y: 100.4 - (side % 3), width: side, height: side };
      const resized = resizeRgb(noise(), createRgbImage(out, out), region);
      expect(hash(resized.data)).toBe(expected);
    },
  );

  it('gives the same bytes when called again with another region size in between', () => {
    const src = noise();
    const region = { x: 10, y: 20, width: 200, height: 200 };
    const first = hash(resizeRgb(src, createRgbImage(256, 256), region).data);
    resizeRgb(src, createRgbImage(128, 128), { x: 0, y: 0, width: 500, height: 500 });
    expect(hash(resizeRgb(src, createRgbImage(256, 256), region).data)).toBe(first);
  });
});
