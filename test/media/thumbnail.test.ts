import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { thumbnail } from '../../src/media/index.ts';

/** Pseudo-random bytes (every pixel different from its neighbours). */
function noise(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return data;
}

const hash = (values: Float32Array) =>
  createHash('sha1').update(new Uint8Array(values.buffer)).digest('hex').slice(0, 10);

describe('thumbnail', () => {
  // Hashes of the first (per-pixel float32 accumulation) implementation's output: the faster
  // one must give the same values, so cut detection does not move.
  const cases: [width: number, height: number, expected: string][] = [
    [512, 512, '7acaf982dd'],
    [641, 359, 'edde22ccdd'],
    [20, 14, 'e380d03d2d'],
    [7, 5, 'c0d0cf6a53'],
  ];
  it.each(cases)('gives the pinned block means of a %i × %i frame', (width, height, expected) => {
    expect(hash(thumbnail(noise(width, height), width, height))).toBe(expected);
  });

  it('reuses the output buffer it is given (cleared first)', () => {
    const out = new Float32Array(256).fill(7);
    const rgb = new Uint8Array(32 * 32 * 3).fill(100);
    expect(thumbnail(rgb, 32, 32, out)).toBe(out);
    for (const v of out) expect(v).toBeCloseTo(100, 4);
  });
});
