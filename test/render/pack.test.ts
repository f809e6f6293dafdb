import { describe, expect, it } from 'vitest';
import { packRgba } from '../../src/render/shade.ts';

describe('packRgba', () => {
  it('packs every pixel as R | G << 8 | B << 16, aligned or not, any length', () => {
    for (const pixels of [0, 1, 3, 4, 5, 7, 8, 61 * 37]) {
      for (const offset of [0, 1, 4]) {
        const buffer = Uint8Array.from({ length: pixels * 3 + 8 }, (_, i) => (i * 131 + 7) & 255);
        const rgb = buffer.subarray(offset, offset + pixels * 3);
        const packed = packRgba(rgb, new Uint32Array(pixels));
        for (let p = 0; p < pixels; p++) {
          const want =
            (rgb[p * 3] as number) |
            ((rgb[p * 3 + 1] as number) << 8) |
            ((rgb[p * 3 + 2] as number) << 16);
          if (packed[p] !== want) expect({ pixels, offset, p, got: packed[p] }).toEqual({ want });
        }
      }
    }
  });
});
