import { describe, expect, it } from 'vitest';
import { faceJumped } from '../../src/dub/cuts.ts';
import { thumbnail, thumbnailDistance } from '../../src/media/index.ts';

function image(width: number, height: number, pixel: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      out.fill(pixel(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return out;
}

describe('cut detection', () => {
  it('sees a new picture but not a small movement', () => {
    const a = image(64, 48, (x, y) => (x * 3 + y * 2) % 256);
    const moved = image(64, 48, (x, y) => ((x + 1) * 3 + y * 2) % 256);
    const black = image(64, 48, () => 0);
    const ta = thumbnail(a, 64, 48);
    expect(thumbnailDistance(ta, thumbnail(moved, 64, 48))).toBeLessThan(10);
    expect(thumbnailDistance(ta, thumbnail(black, 64, 48))).toBeGreaterThan(28);
  });

  it('sees a face jump between frames', () => {
    const face = { x: 100, y: 100, interOcularPx: 50 };
    expect(faceJumped(face, { x: 110, y: 104, interOcularPx: 52 })).toBe(false);
    expect(faceJumped(face, { x: 160, y: 100, interOcularPx: 50 })).toBe(true);
    expect(faceJumped(face, { x: 100, y: 100, interOcularPx: 70 })).toBe(true);
  });
});
