import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type SampleGrid, type SampleOptions, sampleRgb } from '../../src/face/crop.ts';

/** A 512² image of pseudo-random bytes (every pixel different from its neighbours). */
function noise() {
  const data = new Uint8Array(512 * 512 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return { width: 512, height: 512, data };
}

const hash = (values: Float32Array) =>
  createHash('sha1').update(new Uint8Array(values.buffer)).digest('hex').slice(0, 10);

const turn = 0.2;
const GRIDS: Record<string, SampleGrid> = {
  rotated: {
    x0: 100.3,
    y0: 80.7,
    dxCol: 1.3 * Math.cos(turn),
    dyCol: 1.3 * Math.sin(turn),
    dxRow: -1.3 * Math.sin(turn),
    dyRow: 1.3 * Math.cos(turn),
  },
  'off the image': { x0: -30.3, y0: 400.7, dxCol: 2.1, dyCol: 0.1, dxRow: -0.1, dyRow: 2.1 },
  resize: { x0: 0, y0: 0, dxCol: 4, dyCol: 0, dxRow: 0, dyRow: 4 },
};
const OPTIONS: Record<string, SampleOptions> = {
  mesh: { size: 192, scale: 1 / 255, bias: 0, edge: 'zero' },
  'flipped eye': { size: 64, scale: 1 / 255, bias: 0, edge: 'zero', flip: true },
  detector: { size: 128, scale: 2 / 255, bias: -1, edge: 'clamp' },
};

describe('sampleRgb', () => {
  // Hashes of the first (per-channel loop) implementation's output: the faster one must write
  // the same float values, so the landmarks do not move.
  const cases: [grid: string, options: string, expected: string][] = [
    ['rotated', 'mesh', '1207309918'],
    ['rotated', 'flipped eye', 'dee8af2d3d'],
    ['rotated', 'detector', 'dc46f65657'],
    ['off the image', 'mesh', '98676c1ea7'],
    ['off the image', 'flipped eye', '5aea31dae5'],
    ['off the image', 'detector', '22c3d2e91a'],
    ['resize', 'mesh', 'f70aa0d86f'],
    ['resize', 'flipped eye', '72f39fa84f'],
    ['resize', 'detector', 'f8673f0700'],
  ];
  it.each(cases)(
    'samples the %s grid for the %s input with the pinned values',
    (g, o, expected) => {
      const options = OPTIONS[o] as SampleOptions;
      // Written at an offset, with 9 spare values after the block (zero before and after).
      const out = new Float32Array(options.size * options.size * 3 + 9);
      sampleRgb(noise(), GRIDS[g] as SampleGrid, options, out, 5);
      expect(hash(out)).toBe(expected);
    },
  );
});
