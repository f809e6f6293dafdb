/**
 * docs/images/realism-heldout.jpg: held-out self-reenactment (`facecast eval reenact`'s
 * frames, first frame as the photo), one row per clip at the frame whose rendered mouth is
 * widest open: face crops then mouth close-ups of — the real frame | warp-only 1.0 (no
 * person matte, no steadiness) | now (the defaults) | now with the mouth bank
 * (`--mouth-interior bank`).
 *
 *   node --import tsx scripts/render/realism-image.ts [--out docs/images/realism-heldout.jpg] <clip> …
 */
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { reenactFrames, trackClip } from '../../src/eval/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { faceCropBox } from '../../src/generator/index.ts';
import { loadGenericMouthBank, type MouthBank } from '../../src/mouthbank/index.ts';
import { createRgbImage, PART_LABELS, type RgbImage, resizeRgb } from '../../src/render/index.ts';

const TILE = 160;
const { values, positionals } = parseArgs({
  options: { out: { type: 'string', default: 'docs/images/realism-heldout.jpg' } },
  allowPositionals: true,
});
const model = await loadFaceModel();
const bank = await loadGenericMouthBank();

type Region = { x: number; y: number; width: number; height: number };
const crop = (img: RgbImage, region: Region) => resizeRgb(img, createRgbImage(TILE, TILE), region);

const rows: RgbImage[][] = [];
for (const clip of positionals) {
  const track = await trackClip(clip, { model });
  const best = await widestMouth(clip, track);
  const [real, before, now] = await framesAt(clip, track, best.frame, true);
  const [, , banked] = await framesAt(clip, track, best.frame, false, bank);
  const all = [real, before, now, banked] as RgbImage[];
  rows.push([...all.map((i) => crop(i, best.face)), ...all.map((i) => crop(i, best.mouth))]);
}
await writeSheet(rows, values.out);
console.log(`wrote ${values.out}: ${rows.length} rows`);

/** The scored frame whose rendered mouth interior is largest, with its face and mouth boxes. */
async function widestMouth(clip: string, track: Awaited<ReturnType<typeof trackClip>>) {
  let best = { frame: -1, area: -1, face: {} as Region, mouth: {} as Region };
  for await (const f of reenactFrames(clip, track, { model })) {
    if (f.frameIndex === f.referenceIndex) continue;
    const { labels } = f.output.maps;
    const { width, height } = f.real;
    let area = 0;
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    for (let p = 0; p < labels.length; p++) {
      const l = labels[p];
      if (l === PART_LABELS.mouthInterior) area++;
      if (l !== PART_LABELS.mouthInterior && l !== PART_LABELS.lips) continue;
      x0 = Math.min(x0, p % width);
      x1 = Math.max(x1, p % width);
      y0 = Math.min(y0, Math.floor(p / width));
      y1 = Math.max(y1, Math.floor(p / width));
    }
    const box = faceCropBox(labels, width, height, 1.25);
    if (area <= best.area || !box) continue;
    const side = Math.max(24, 1.6 * (x1 - x0));
    const mouth = {
      x: Math.max(0, Math.round((x0 + x1 - side) / 2)),
      y: Math.max(0, Math.round((y0 + y1 - side) / 2)),
      width: Math.round(side),
      height: Math.round(side),
    };
    mouth.width = Math.min(mouth.width, width - mouth.x);
    mouth.height = Math.min(mouth.height, height - mouth.y);
    best = {
      frame: f.frameIndex,
      area,
      face: { x: box.x, y: box.y, width: box.size, height: box.size },
      mouth,
    };
  }
  return best;
}

/** Copies of the real frame, the warp-only 1.0 baseline and the render at `frame`. */
async function framesAt(
  clip: string,
  track: Awaited<ReturnType<typeof trackClip>>,
  frame: number,
  baseline: boolean,
  mouthBank?: MouthBank,
): Promise<(RgbImage | undefined)[]> {
  const copy = (i: RgbImage | undefined) =>
    i ? { width: i.width, height: i.height, data: Uint8Array.from(i.data) } : undefined;
  for await (const f of reenactFrames(clip, track, {
    model,
    baseline,
    ...(mouthBank ? { mouthBank } : {}),
  })) {
    if (f.frameIndex === frame) return [copy(f.real), copy(f.baseline), copy(f.output.composite)];
  }
  throw new Error(`${clip}: frame ${frame} not rendered`);
}

async function writeSheet(sheetRows: RgbImage[][], out: string): Promise<void> {
  const columns = sheetRows[0]?.length ?? 0;
  const width = TILE * columns;
  const sheet = Buffer.alloc(width * TILE * sheetRows.length * 3, 255);
  for (const [r, row] of sheetRows.entries()) {
    for (const [c, img] of row.entries()) {
      for (let y = 0; y < TILE; y++) {
        sheet.set(
          img.data.subarray(y * TILE * 3, (y + 1) * TILE * 3),
          ((r * TILE + y) * width + c * TILE) * 3,
        );
      }
    }
  }
  await sharp(sheet, { raw: { width, height: TILE * sheetRows.length, channels: 3 } })
    .jpeg({ quality: 85 })
    .toFile(out);
}
