/**
 * Real audio → motion data from talking videos tracked by the faces stage.
 *
 *   node --import tsx scripts/data/real.ts --out data/motion/real-train [--tracks data/motion/tracks] \
 *       [--shift talk_edtalk_uncrop_Obama.mp4=240] <video-or-folder …>
 *
 * For each video: `facecast track <video> --out <tracks>/<name>.csv` (reused when the CSV
 * exists) gives the tracked Controls per 25 fps frame; the audio track is decoded to 16 kHz
 * (advanced by `--shift name=ms` where a clip's audio lags its picture); the log-mel comes
 * from the project's extractor. Targets: the 52 tracked weights, head rotation relative to the
 * clip's median pose (Controls head is a delta on the rest pose) and gaze; supervised where a
 * face was found. Output: shards in the format of scripts/data/shards.ts, one session per clip.
 * Default input: $FACECAST_FIXTURES/train-talk, else ../shared/fixtures/train-talk.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { blendshapeVector, readControlsFile } from '../../src/controls/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import { GAZE_OFFSET, HEAD_OFFSET, MOTION_OUTPUT_COUNT } from '../../src/motion/index.ts';
import { frameRms, ShardWriter } from './shards.ts';

const run = promisify(execFile);
const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    tracks: { type: 'string', default: 'data/motion/tracks' },
    shift: { type: 'string', multiple: true, default: [] },
  },
  allowPositionals: true,
});
if (!values.out) throw new Error('--out <dir> is required');
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const inputs = positionals.length > 0 ? positionals : [join(fixtures, 'train-talk')];
const shifts = new Map(
  (values.shift ?? []).map((s) => {
    const [name = '', ms = '0'] = s.split('=');
    return [name, Number(ms)] as const;
  }),
);
const files: string[] = [];
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    for (const f of (await readdir(input)).sort())
      if (/\.(mp4|mpg|mov|mkv|webm|avi)$/i.test(f)) files.push(join(input, f));
  } else files.push(input);
}
await mkdir(values.tracks as string, { recursive: true });
const writer = await ShardWriter.create(values.out, 'real');
const BIN = new URL('../../bin/facecast', import.meta.url).pathname;

for (const file of files) {
  const name = basename(file);
  const csv = join(values.tracks as string, `${name.replace(/\.[^.]+$/, '')}.csv`);
  const exists = await access(csv).then(
    () => true,
    () => false,
  );
  if (!exists) {
    console.error(`tracking ${name}…`);
    await run(process.execPath, [BIN, 'track', file, '--out', csv], { maxBuffer: 1 << 26 });
  }
  const tracked = await readControlsFile(csv);
  const decoded = await decodeAudioFile(file);
  const shiftMs = shifts.get(name) ?? 0;
  const samples = decoded.samples.subarray(Math.round(shiftMs * 16));
  const audioFrames = Math.floor(samples.length / 640) + 1;
  const frames = Math.min(audioFrames, tracked.frames.length);
  const mel = computeLogMel(samples.subarray(0, frames * 640));
  const found = tracked.frames.slice(0, frames).filter((f) => f.faceFound);
  const median = (pick: (f: (typeof found)[number]) => number) => {
    const v = found.map(pick).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)] ?? 0;
  };
  const rest = [median((f) => f.head.pitch), median((f) => f.head.yaw), median((f) => f.head.roll)];
  const targets = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  const mask = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  const weights = new Float32Array(52);
  for (let f = 0; f < frames; f++) {
    const frame = tracked.frames[f];
    if (!frame) continue;
    const o = f * MOTION_OUTPUT_COUNT;
    targets.set(blendshapeVector(frame, weights), o);
    targets[o + HEAD_OFFSET] = frame.head.pitch - (rest[0] as number);
    targets[o + HEAD_OFFSET + 1] = frame.head.yaw - (rest[1] as number);
    targets[o + HEAD_OFFSET + 2] = frame.head.roll - (rest[2] as number);
    targets[o + GAZE_OFFSET] = frame.gaze.leftYaw;
    targets[o + GAZE_OFFSET + 1] = frame.gaze.leftPitch;
    targets[o + GAZE_OFFSET + 2] = frame.gaze.rightYaw;
    targets[o + GAZE_OFFSET + 3] = frame.gaze.rightPitch;
    if (frame.faceFound) mask.fill(1, o, o + MOTION_OUTPUT_COUNT);
  }
  writer.add({
    mel,
    rms: frameRms(samples, frames),
    targets,
    mask,
    frames,
    meta: {
      clip: name,
      kind: 'real',
      shiftMs,
      durationMs: (frames * 40) | 0,
      facesFound: found.length,
    },
  });
  console.error(`${name}: ${frames} frames, face in ${found.length}, audio shifted ${shiftMs} ms`);
}
await writer.flush();
