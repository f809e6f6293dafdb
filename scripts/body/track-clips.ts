/**
 * Tracks half-body clips with the body keypoint model on every frame: the data the body
 * reliability report and the speech → body trainer read.
 *
 *   nice -n 10 node --import tsx scripts/body/track-clips.ts [--out data/body/tracks] [clip-or-folder …]
 *
 * For each clip, `<out>/<stem>.json` holds the tracked Controls (src/face's trackVideo,
 * body model on every frame, One-Euro smoothed) and `<out>/<stem>.keypoints.json` the raw
 * MoveNet keypoints per frame (decoded-frame pixels, with scores). Existing outputs are kept.
 * Default input: $FACECAST_FIXTURES/train-body, else ../shared/fixtures/train-body (held-out
 * clips are tracked too: the bench measures on them; the trainer skips them).
 */
import { access, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeControlsFile } from '../../src/controls/index.ts';
import { FaceLandmarker, trackVideo } from '../../src/face/index.ts';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string', default: 'data/body/tracks' },
    'max-size': { type: 'string', default: '384' },
  },
  allowPositionals: true,
});
const out = values.out as string;
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const inputs = positionals.length > 0 ? positionals : [join(fixtures, 'train-body')];
const files: string[] = [];
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    for (const f of (await readdir(input)).sort())
      if (/\.mp4$/i.test(f)) files.push(join(input, f));
  } else files.push(input);
}
await mkdir(out, { recursive: true });
const landmarker = await FaceLandmarker.load({ video: true });
try {
  for (const file of files) {
    const stem = basename(file).replace(/\.[^.]+$/, '');
    const target = join(out, `${stem}.json`);
    if (await exists(target)) continue;
    const t0 = performance.now();
    const result = await trackVideo(file, {
      bodyEvery: 1,
      keepBody: true,
      maxSize: Number(values['max-size']),
      landmarker,
    });
    await writeFile(
      join(out, `${stem}.keypoints.json`),
      JSON.stringify({
        clip: basename(file),
        width: result.video.decodedWidth,
        height: result.video.decodedHeight,
        frames: result.bodies ?? [],
      }),
    );
    await writeControlsFile(target, result.sequence);
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.error(`${stem}: ${result.frames.length} frames, ${seconds} s`);
  }
} finally {
  await landmarker.close();
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
