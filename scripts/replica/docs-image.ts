/**
 * The video-avatar docs image: per row, a footage frame | the same frame re-animated to new
 * speech | close-ups of both mouths (the re-animated one painted from the mouth bank).
 *
 *   node --import tsx scripts/replica/docs-image.ts <avatar dir> <speech> <out.jpg>
 */
import sharp, { type OverlayOptions } from 'sharp';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  BLENDSHAPE_COUNT,
  blendshapeVector,
  type ControlsFrame,
} from '../../src/controls/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { MotionModel } from '../../src/motion/index.ts';
import { ReplicaPlayer } from '../../src/replica/index.ts';

const [avatarDir, speechPath, outPath] = process.argv.slice(2);
if (!avatarDir || !speechPath || !outPath) {
  console.error('usage: docs-image.ts <avatar dir> <speech> <out.jpg>');
  process.exit(2);
}
const TILE = 256;
const ROWS = 4;

const motion = await MotionModel.load();
const stream = motion.createStream({ seed: 0 });
const { samples } = await decodeAudioFile(speechPath);
const controls: ControlsFrame[] = [
  ...(await stream.process({ pcm: samples })).frames,
  ...(await stream.flush()).frames,
];
stream.close();
await motion.close();

const model = await loadFaceModel();
const player = await ReplicaPlayer.open(avatarDir);
const { width, height } = player;
const weights = new Float32Array(BLENDSHAPE_COUNT);
// Rows at the widest-open moments, spread over the speech.
const picks = new Set<number>();
const span = Math.floor(controls.length / ROWS);
for (let r = 0; r < ROWS; r++) {
  let best = r * span;
  for (let k = r * span; k < (r + 1) * span; k++) {
    if ((controls[k]?.blendshapes.jawOpen ?? 0) > (controls[best]?.blendshapes.jawOpen ?? 0))
      best = k;
  }
  picks.add(best);
}
const tiles: OverlayOptions[] = [];
let row = 0;
for (let k = 0; k < controls.length && row < ROWS; k++) {
  const out = await player.render(blendshapeVector(controls[k] as ControlsFrame, weights));
  if (!picks.has(k)) continue;
  const step = player.lastStep as { a: number };
  const stored = player.replica.manifest.playback[step.a] as number;
  const footage = await player.replica.frames.read(stored);
  const face = player.replica.face(stored);
  const lips = model.sets.lips;
  let cx = width / 2;
  let cy = height * 0.7;
  if (face) {
    cx = 0;
    cy = 0;
    for (const i of lips) {
      cx += face.landmarks[i * 2] as number;
      cy += face.landmarks[i * 2 + 1] as number;
    }
    cx /= lips.length;
    cy /= lips.length;
  }
  const side = Math.round(Math.min(width, height) * 0.3);
  const box = {
    left: Math.max(0, Math.min(width - side, Math.round(cx - side / 2))),
    top: Math.max(0, Math.min(height - side, Math.round(cy - side / 2))),
    width: side,
    height: side,
  };
  const raw = { raw: { width, height, channels: 3 as const } };
  const tile = (rgb: Uint8Array, crop?: typeof box) => {
    let image = sharp(Buffer.from(rgb), raw);
    if (crop) image = image.extract(crop);
    return image.resize(TILE, TILE).png().toBuffer();
  };
  const copy = Uint8Array.from(out);
  const cells = [
    await tile(footage),
    await tile(copy),
    await tile(footage, box),
    await tile(copy, box),
  ];
  for (const [c, input] of cells.entries()) tiles.push({ input, left: c * TILE, top: row * TILE });
  row++;
}
await player.close();
await sharp({
  create: { width: 4 * TILE, height: row * TILE, channels: 3, background: { r: 0, g: 0, b: 0 } },
})
  .composite(tiles)
  .jpeg({ quality: 85 })
  .toFile(outPath);
console.log(
  `wrote ${outPath}: ${row} rows (footage | re-animated | footage mouth | re-animated mouth)`,
);
