import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fillBodyMask } from '../../src/render/body.ts';

/** A face outline (an ellipse, output px), tilted by `tilt` px across its width. */
function oval(cx: number, cy: number, rx: number, ry: number, tilt: number) {
  return Array.from({ length: 36 }, (_, k) => {
    const a = (k / 36) * 2 * Math.PI;
    const x = cx + rx * Math.cos(a);
    return { x, y: cy + ry * Math.sin(a) + (tilt * (x - cx)) / rx };
  });
}

describe('fillBodyMask', () => {
  /**
   * The neck-and-shoulders mask, byte for byte (it decides which background pixels the
   * renderer warps): pinned before its row fill stopped sorting with Array.prototype.sort.
   */
  it('gives the pinned masks, with and without detected shoulders', () => {
    const hash = createHash('sha256');
    const cases = [
      { outline: oval(170, 120, 60, 80, 0), shoulders: undefined },
      { outline: oval(150, 110, 55, 75, 9), shoulders: undefined },
      {
        outline: oval(180, 130, 62, 84, -6),
        shoulders: { left: { x: 300, y: 300 }, right: { x: 60, y: 290 } },
      },
    ];
    let filled = 0;
    for (const { outline, shoulders } of cases) {
      const mask = new Uint8Array(344 * 344);
      fillBodyMask(mask, 344, 344, outline, shoulders);
      for (const v of mask) filled += v;
      hash.update(mask);
    }
    expect(filled).toBeGreaterThan(10_000);
    expect(hash.digest('hex')).toBe(
      '8764e48bfc17639be1fb66b9b3796bf91eca8098d0a7d5a38029fc3639c1451b',
    );
  });
});
