import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/features/index.ts';
import {
  DEFAULT_SEGMENTATION_MODEL_DIR,
  PersonSegmenter,
  SEGMENTATION_INPUT_SIZE,
} from '../../src/segmentation/index.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const N = SEGMENTATION_INPUT_SIZE;

async function readRgb(path: string) {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

let segmenter: PersonSegmenter;
beforeAll(async () => {
  segmenter = await PersonSegmenter.load();
});
afterAll(() => segmenter.close());

describe('person segmentation (models/segmentation)', () => {
  it('reproduces the tflite interpreter on the committed frame within the manifest tolerance', async () => {
    const { parity } = segmenter.manifest;
    const image = await readRgb(resolve(ROOT, parity.fixture));
    const expected = await readNpy(resolve(ROOT, parity.expected));
    expect(expected.shape).toEqual([N, N]);
    const planes = new Float32Array(3 * N * N);
    for (let p = 0; p < N * N; p++)
      for (let c = 0; c < 3; c++) planes[c * N * N + p] = (image.data[p * 3 + c] as number) / 255;
    const mask = await segmenter.run(planes);
    let worst = 0;
    let sum = 0;
    for (let p = 0; p < N * N; p++) {
      worst = Math.max(worst, Math.abs((mask[p] as number) - (expected.data[p] as number)));
      sum += expected.data[p] as number;
    }
    expect(sum / (N * N)).toBeGreaterThan(0.3); // a real person fills a good part of the frame
    expect(worst).toBeLessThanOrEqual(parity.tolerance);
  });

  it('finds the person (face, hair) and the background of a full-size photo', async () => {
    const image = await readRgb(resolve(ROOT, 'test/fixtures/avatars/s42/image.png'));
    const matte = await segmenter.segment(image);
    expect([matte.width, matte.height]).toEqual([image.width, image.height]);
    const at = (fx: number, fy: number) =>
      matte.data[Math.floor(fy * image.height) * image.width + Math.floor(fx * image.width)];
    // s42: face centred, hair down both sides, waterfall and grass in the top corners.
    expect(at(0.5, 0.5)).toBeGreaterThan(240); // face
    expect(at(0.3, 0.55)).toBeGreaterThan(200); // hair beside the cheek
    expect(at(0.05, 0.05)).toBeLessThan(15);
    expect(at(0.95, 0.1)).toBeLessThan(15);
  });

  it('rejects a malformed image and a model whose checksum does not match', async () => {
    await expect(
      segmenter.segment({ width: 4, height: 4, data: new Uint8Array(10) }),
    ).rejects.toMatchObject({ code: 'SEGMENTATION_BAD_IMAGE' });
    const dir = await mkdtemp(join(tmpdir(), 'facecast-seg-'));
    try {
      await cp(DEFAULT_SEGMENTATION_MODEL_DIR, dir, { recursive: true });
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      manifest.sha256 = '0'.repeat(64);
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      await expect(PersonSegmenter.load({ modelDir: dir })).rejects.toMatchObject({
        code: 'SEGMENTATION_MODEL_INVALID',
      });
      await expect(PersonSegmenter.load({ modelDir: join(dir, 'none') })).rejects.toMatchObject({
        code: 'SEGMENTATION_MODEL_MISSING',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
