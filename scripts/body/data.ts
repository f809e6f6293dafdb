/**
 * Speech → body training data from the clips tracked by track-clips.ts.
 *
 *   node --import tsx scripts/body/data.ts [--tracks data/body/tracks] [--out data/body/clips]
 *
 * Per clip with an audio track: `<stem>.x.npy` float32 [T, 20] (the body model's audio
 * features from src/body, then the head's yaw and roll relative to the clip's median, from
 * MoveNet's eyes and nose: roll is the eye line's angle; yaw is asin(3 × the nose's offset
 * from the eyes' midpoint / the eye distance), 3 being the inter-ocular distance over the
 * nose tip's depth in front of the eyes — a rough proxy; 3-frame average, held where the
 * points score < 0.3), `<stem>.y.npy` float32 [T, 13] (BODY_OUTPUTS from the tracked Controls) and
 * `<stem>.mask.npy` float32 [T, 13] (1 where MoveNet saw the joint with score ≥ 0.3; the neck
 * needs both shoulders). `index.json` lists the clips and marks the held-out sources
 * (test/fixtures/heldout/heldout.json): the trainer must skip those, the bench uses them.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  BODY_AUDIO_FEATURES,
  BODY_OUTPUT_COUNT,
  BodyFeatures,
  bodyTargets,
} from '../../src/body/index.ts';
import { BODY_JOINTS, readControlsFile } from '../../src/controls/index.ts';
import { computeLogMel, writeNpy } from '../../src/features/index.ts';

const MIN_SCORE = 0.3;
const { values } = parseArgs({
  options: {
    tracks: { type: 'string', default: 'data/body/tracks' },
    out: { type: 'string', default: 'data/body/clips' },
  },
});
const tracks = values.tracks as string;
const out = values.out as string;
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const heldout = new Set<string>(
  JSON.parse(await readFile('test/fixtures/heldout/heldout.json', 'utf8')).sources,
);
await import('node:fs/promises').then((fs) => fs.mkdir(out, { recursive: true }));
const index: { stem: string; frames: number; heldout: boolean }[] = [];
for (const file of (await readdir(tracks)).sort()) {
  if (!file.endsWith('.json') || file.endsWith('.keypoints.json')) continue;
  const stem = file.slice(0, -'.json'.length);
  const video = join(fixtures, 'train-body', `${stem}.mp4`);
  const audio = await decodeAudioFile(video).catch(() => undefined);
  if (!audio || audio.samples.length < 16_000) {
    console.error(`${stem}: no audio track, skipped`);
    continue;
  }
  const sequence = await readControlsFile(join(tracks, file));
  const keypoints = JSON.parse(await readFile(join(tracks, `${stem}.keypoints.json`), 'utf8'))
    .frames as (Body | null)[];
  const frames = Math.min(sequence.frames.length, Math.floor(audio.samples.length / 640));
  const features = new BodyFeatures().process(
    computeLogMel(audio.samples.subarray(0, frames * 640)),
    frames,
  );
  const width = BODY_AUDIO_FEATURES + 2;
  const x = new Float32Array(frames * width);
  const head = headProxy(keypoints, frames);
  const y = bodyTargets(sequence.frames.slice(0, frames));
  const mask = new Float32Array(frames * BODY_OUTPUT_COUNT);
  for (let f = 0; f < frames; f++) {
    const frame = sequence.frames[f];
    if (!frame) continue;
    x.set(features.subarray(f * BODY_AUDIO_FEATURES, (f + 1) * BODY_AUDIO_FEATURES), f * width);
    x[f * width + BODY_AUDIO_FEATURES] = head.yaw[f] as number;
    x[f * width + BODY_AUDIO_FEATURES + 1] = head.roll[f] as number;
    const seen = (name: string) =>
      (keypoints[f]?.keypoints.find((k) => k.name === name)?.score ?? 0) >= MIN_SCORE;
    const o = f * BODY_OUTPUT_COUNT;
    mask[o] = seen('leftShoulder') && seen('rightShoulder') ? 1 : 0;
    BODY_JOINTS.forEach((joint, j) => {
      const m = seen(joint) ? 1 : 0;
      mask[o + 1 + 2 * j] = m;
      mask[o + 2 + 2 * j] = m;
    });
  }
  await writeNpy(join(out, `${stem}.x.npy`), { data: x, shape: [frames, width] });
  await writeNpy(join(out, `${stem}.y.npy`), { data: y, shape: [frames, BODY_OUTPUT_COUNT] });
  await writeNpy(join(out, `${stem}.mask.npy`), {
    data: mask,
    shape: [frames, BODY_OUTPUT_COUNT],
  });
  index.push({ stem, frames, heldout: heldout.has(stem) });
  console.error(`${stem}: ${frames} frames${heldout.has(stem) ? ' (held out)' : ''}`);
}
await writeFile(join(out, 'index.json'), `${JSON.stringify({ clips: index }, null, 2)}\n`);

interface Body {
  keypoints: { name: string; x: number; y: number; score: number }[];
}

/** Head yaw and roll (radians, relative to the clip's median) from MoveNet's eyes and nose. */
function headProxy(bodies: (Body | null)[], frames: number) {
  const yaw = new Float64Array(frames);
  const roll = new Float64Array(frames);
  let last = { yaw: 0, roll: 0 };
  for (let f = 0; f < frames; f++) {
    const at = (name: string) => {
      const k = bodies[f]?.keypoints.find((p) => p.name === name);
      return k && k.score >= MIN_SCORE ? k : undefined;
    };
    const l = at('leftEye');
    const r = at('rightEye');
    const nose = at('nose');
    if (l && r && nose) {
      const eyes = Math.hypot(l.x - r.x, l.y - r.y);
      // The subject's left eye is on the image's right; turning to their left moves the nose right.
      const offset = (nose.x - (l.x + r.x) / 2) / Math.max(eyes, 1);
      last = {
        yaw: Math.asin(Math.max(-1, Math.min(1, 3 * offset))),
        roll: Math.atan2(l.y - r.y, l.x - r.x),
      };
    }
    yaw[f] = last.yaw;
    roll[f] = last.roll;
  }
  const centre = (v: Float64Array) => {
    const m = median([...v]);
    const smooth = v.map((_, f) => {
      const a = v[Math.max(0, f - 1)] as number;
      const b = v[Math.min(frames - 1, f + 1)] as number;
      return (a + (v[f] as number) + b) / 3 - m;
    });
    return smooth;
  };
  return { yaw: centre(yaw), roll: centre(roll) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
