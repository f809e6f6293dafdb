import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRenderer,
  PART_COLORS,
  PART_LABELS,
  type Renderer,
  visualiseMaps,
} from '../../src/render/index.ts';
import { GOLDEN_CASES, GOLDEN_DIR, GOLDEN_SIZE } from './golden-cases.ts';
import { AVATAR_DIR, psnr } from './helpers.ts';

/**
 * Golden images (scripts/render/goldens.ts). Tolerances: composite PSNR ≥ 45 dB against the
 * golden over the face (pixels the golden labels as face parts) and over the whole frame,
 * labels identical on ≥ 99.5 % of pixels, face coordinates (as 8-bit PNG) within a mean
 * absolute difference of 1 level. The renderer is deterministic, so on the machine that
 * wrote the goldens all are exact; the slack absorbs floating-point differences across
 * Node/V8 versions, not behaviour changes: jawOpen + 0.02 already gives 44 dB on the face,
 * a 0.01 rad head turn 38 dB.
 */
let renderer: Renderer;
beforeAll(async () => {
  renderer = await createRenderer(AVATAR_DIR, { size: GOLDEN_SIZE });
});

async function golden(name: string): Promise<Uint8Array> {
  const { data, info } = await sharp(`${GOLDEN_DIR}/${name}.png`)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.width).toBe(renderer.width);
  return new Uint8Array(data);
}

describe('golden images (test/fixtures/render, s42 at 256 px)', () => {
  it.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('%s', async (name, { frame }) => {
    const { composite, maps } = renderer.render(frame());
    const v = visualiseMaps(maps);
    const expected = await golden(`${name}-composite`);
    const labels = await golden(`${name}-labels`);
    const face = (p: number) => {
      const id = PART_COLORS.findIndex(
        (c) => c[0] === labels[p * 3] && c[1] === labels[p * 3 + 1] && c[2] === labels[p * 3 + 2],
      );
      return id !== PART_LABELS.background && id !== PART_LABELS.body;
    };
    expect(psnr(composite.data, expected, face)).toBeGreaterThanOrEqual(45);
    expect(psnr(composite.data, expected)).toBeGreaterThanOrEqual(45);
    let same = 0;
    for (let p = 0; p < labels.length / 3; p++) {
      if (
        labels[p * 3] === v.labels[p * 3] &&
        labels[p * 3 + 1] === v.labels[p * 3 + 1] &&
        labels[p * 3 + 2] === v.labels[p * 3 + 2]
      )
        same++;
    }
    expect(same / (labels.length / 3)).toBeGreaterThanOrEqual(0.995);
    const coords = await golden(`${name}-coords`);
    let diff = 0;
    for (let i = 0; i < coords.length; i++)
      diff += Math.abs((coords[i] as number) - (v.coords[i] as number));
    expect(diff / coords.length).toBeLessThanOrEqual(1);
  });
});
