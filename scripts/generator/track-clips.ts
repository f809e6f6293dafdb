/**
 * Stage 1 of the generator's data: track every video in the given folders (or files) for
 * self-reenactment and cache the result as `<out>/<clip>.json` (skipped when present).
 *
 *   node --import tsx scripts/generator/track-clips.ts --out data/generator/tracks \
 *     [--max-size 512] <folder|video>...
 *
 * Default inputs: `$FACECAST_FIXTURES` (or ../shared/fixtures) train-video, train-talk, video.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { trackClip, writeClipTrack } from '../../src/eval/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { listVideos } from './videos.ts';

const { values, positionals } = parseArgs({
  options: { out: { type: 'string' }, 'max-size': { type: 'string' } },
  allowPositionals: true,
});
const fixtures = process.env.FACECAST_FIXTURES ?? '../shared/fixtures';
const inputs = positionals.length
  ? positionals
  : ['train-video', 'train-talk', 'video'].map((d) => join(fixtures, d));
const out = values.out ?? 'data/generator/tracks';
const maxSize = Number(values['max-size'] ?? 512);

await mkdir(out, { recursive: true });
const model = await loadFaceModel();
for (const file of await listVideos(inputs)) {
  const target = join(out, `${basename(file).replace(/\.[^.]+$/, '')}.json`);
  if (existsSync(target)) continue;
  const t0 = performance.now();
  try {
    const track = await trackClip(file, { maxSize, model });
    await writeClipTrack(target, track);
    const faced = track.frames.filter((f) => f.pose).length;
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${basename(file)}: ${track.frames.length} frames, ${faced} with a face, ${s} s`);
  } catch (error) {
    console.log(`${basename(file)}: skipped: ${(error as Error).message}`);
  }
}
