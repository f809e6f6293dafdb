/**
 * Tracks the upper body of half-body clips on every frame (body model only, no face models:
 * a third of the cost): the data the reliability report and the speech → body trainer read.
 *
 *   nice -n 10 node --import tsx scripts/body/track-clips.ts [--out data/body/tracks] [clip-or-folder …]
 *
 * For each clip, `<out>/<stem>.json` holds Controls whose body channels come from src/face's
 * BodyTracker (rest pose from every 3rd of the first 90 frames, One-Euro smoothed, the
 * tracker's defaults) and `<out>/<stem>.keypoints.json` the raw MoveNet keypoints per frame
 * (decoded-frame pixels, with scores). Existing outputs are kept. Default input:
 * $FACECAST_FIXTURES/train-body, else ../shared/fixtures/train-body (held-out clips are
 * tracked too: the bench measures on them; the trainer skips them).
 */
import { access, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { neutralFrame, writeControlsFile } from '../../src/controls/index.ts';
import {
  BodyTracker,
  type DetectedBody,
  FaceLandmarker,
  TRACKER_SMOOTHING,
} from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';

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
    const video = await openVideoFrames(file, { fps: 25, maxSize: Number(values['max-size']) });
    const bodies: (DetectedBody | undefined)[] = [];
    for await (const frame of video) {
      const detection = await landmarker.detect(
        { width: frame.width, height: frame.height, data: frame.rgb },
        { face: false, body: true },
      );
      bodies.push(detection.body);
    }
    const tracker = new BodyTracker({ smoothing: TRACKER_SMOOTHING.body });
    for (let f = 0; f < Math.min(90, bodies.length); f += 3) {
      const body = bodies[f];
      if (body) tracker.addSample(body);
    }
    tracker.calibrate();
    const frames = bodies.map((body) => {
      const frame = neutralFrame();
      tracker.apply(frame, body);
      return frame;
    });
    await writeFile(
      join(out, `${stem}.keypoints.json`),
      JSON.stringify({
        clip: basename(file),
        width: video.width,
        height: video.height,
        frames: bodies,
      }),
    );
    await writeControlsFile(target, { format: 'facecast.controls', version: 1, fps: 25, frames });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.error(`${stem}: ${frames.length} frames, ${seconds} s`);
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
