/**
 * docs/images/generator-heldout.png: held-out self-reenactment frames, face crops side by
 * side — real frame, warp-only, generator + SR, and the generator's change (×4, grey = 0).
 *
 *   node --import tsx scripts/generator/docs-image.ts [--tracks data/generator/tracks] \
 *     --out docs/images/generator-heldout.png <video>:<frame>[,<frame>…] …
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { readClipTrack, reenactFrames, trackClip } from '../../src/eval/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { faceCropBox, Generator } from '../../src/generator/index.ts';
import { createRgbImage, type RgbImage, resizeRgb } from '../../src/render/index.ts';

const { values, positionals } = parseArgs({
  options: {
    tracks: { type: 'string', default: 'data/generator/tracks' },
    out: { type: 'string', default: 'docs/images/generator-heldout.png' },
    tile: { type: 'string', default: '192' },
  },
  allowPositionals: true,
});
const tile = Number(values.tile);
const model = await loadFaceModel();
const generator = await Generator.load();
const rows: RgbImage[][] = [];
try {
  for (const spec of positionals) {
    const [video, list] = spec.split(':') as [string, string];
    const wanted = new Set(list.split(',').map(Number));
    const name = basename(video).replace(/\.[^.]+$/, '');
    const cached = join(values.tracks, `${name}.json`);
    const track = existsSync(cached)
      ? await readClipTrack(cached)
      : await trackClip(video, { model });
    const stream = generator.createStream({ seed: 1, framesPerWindow: 1 });
    for await (const f of reenactFrames(video, track, { model })) {
      if (f.frameIndex > Math.max(...wanted)) break;
      const [out] = await stream.push({
        composite: f.output.composite,
        maps: f.output.maps,
        reference: f.reference,
      });
      if (!wanted.has(f.frameIndex) || !out) continue;
      const box = faceCropBox(f.output.maps.labels, f.real.width, f.real.height, 1.25);
      if (!box) continue;
      const region = { x: box.x, y: box.y, width: box.size, height: box.size };
      const crop = (img: RgbImage) => resizeRgb(img, createRgbImage(tile, tile), region);
      const diff = createRgbImage(out.width, out.height);
      for (let i = 0; i < diff.data.length; i++)
        diff.data[i] = Math.max(
          0,
          Math.min(
            255,
            128 + 4 * ((out.data[i] as number) - (f.output.composite.data[i] as number)),
          ),
        );
      rows.push([crop(f.real), crop(f.output.composite), crop(out), crop(diff)]);
    }
    stream.close();
  }
} finally {
  await generator.close();
}
const width = tile * 4;
const sheet = Buffer.alloc(width * tile * rows.length * 3);
for (const [r, row] of rows.entries()) {
  for (const [c, img] of row.entries()) {
    for (let y = 0; y < tile; y++)
      sheet.set(
        img.data.subarray(y * tile * 3, (y + 1) * tile * 3),
        ((r * tile + y) * width + c * tile) * 3,
      );
  }
}
await sharp(sheet, { raw: { width, height: tile * rows.length, channels: 3 } })
  .png()
  .toFile(values.out);
console.log(
  `wrote ${values.out}: ${rows.length} rows (real | warp-only | generator+SR | change ×4)`,
);
