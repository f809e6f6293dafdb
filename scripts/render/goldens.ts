/**
 * Golden images of the render test: fixed Controls on test/fixtures/avatars/s42 at 256 px.
 *
 *   node --import tsx scripts/render/goldens.ts            # rewrite test/fixtures/render/*.png
 *
 * Re-run (and look at the images) after a deliberate change of the renderer or of
 * models/face; test/render/golden.test.ts compares against these files.
 */
import { mkdir } from 'node:fs/promises';
import sharp from 'sharp';
import { createRenderer, visualiseMaps } from '../../src/render/index.ts';
import { GOLDEN_CASES, GOLDEN_DIR, GOLDEN_SIZE } from '../../test/render/golden-cases.ts';

const renderer = await createRenderer('test/fixtures/avatars/s42', { size: GOLDEN_SIZE });
await mkdir(GOLDEN_DIR, { recursive: true });
for (const { name, frame } of GOLDEN_CASES) {
  const { composite, maps } = renderer.render(frame());
  const v = visualiseMaps(maps);
  const raw = { width: renderer.width, height: renderer.height, channels: 3 as const };
  for (const [kind, data] of [
    ['composite', composite.data],
    ['labels', v.labels],
    ['coords', v.coords],
  ] as const) {
    const path = `${GOLDEN_DIR}/${name}-${kind}.png`;
    await sharp(Buffer.from(data), { raw }).png({ compressionLevel: 9 }).toFile(path);
    console.log('wrote', path);
  }
}
renderer.close();
