/**
 * Real audio → motion data from talking videos tracked by the faces stage.
 *
 *   node --import tsx scripts/data/real.ts --out data/motion/real-train [--split train] \
 *       [--tracks data/motion/tracks] [--copies 4] [--shift name.mp4=ms] [<video-or-folder …>]
 *   node --import tsx scripts/data/real.ts --out data/motion/real-heldout --split heldout
 *
 * Default input: the shared fixtures' `train-talk`, `train-body` and `video` folders
 * ($FACECAST_FIXTURES, else ../shared/fixtures). `--split train` skips every source listed in
 * test/fixtures/heldout/heldout.json (whole speakers); `--split heldout` keeps only those, for
 * evaluation. Clips without an audio track are skipped.
 *
 * For each video the faces stage's tracker (scripts/data/tracks.ts: `trackVideo`, cached as
 * <tracks>/<stem>.csv with the raw landmarks beside it; `--track-only` stops there) gives the
 * tracked Controls per 25 fps frame;
 * the audio track is decoded to 16 kHz (advanced where a clip's audio lags its picture); the
 * log-mel comes from the project's extractor. Targets: the 52 tracked weights — brows, eye
 * squint/wide and cheek squint relative to the clip's own resting level (10th percentile) —
 * head rotation relative to the clip's median pose, gaze. Blinks, eye looks and gaze are not
 * supervised (the runtime's idle layer makes them). With `--copies n` (train split), copy 0 is
 * the clean audio and copies 1…n−1 are augmented (scripts/data/augment.ts; a speed change
 * resamples the targets in time). Each session records its speaker, so the trainer can hold out
 * whole speakers. Output: shards in the format of scripts/data/shards.ts.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AudioError, decodeAudioFile } from '../../src/audio/index.ts';
import {
  BLENDSHAPE_INDEX,
  blendshapeVector,
  type ControlsFrame,
  readControlsFile,
} from '../../src/controls/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import {
  GAZE_OFFSET,
  HEAD_OFFSET,
  MOTION_OUTPUT_COUNT,
  mulberry32,
} from '../../src/motion/index.ts';
import { augmentSpeech } from './augment.ts';
import { UPPER_FACE_CHANNELS } from './channels.ts';
import { loadHeldoutSources, sourceStem } from './heldout.ts';
import { frameRms, ShardWriter } from './shards.ts';
import { ensureTracks } from './tracks.ts';

const FRAME_SAMPLES = 640;
/** Blinks and eye looks of both eyes: the idle layer's job, never supervised. */
const EYE_IDLE_CHANNELS = [
  'eyeBlinkLeft',
  'eyeLookDownLeft',
  'eyeLookInLeft',
  'eyeLookOutLeft',
  'eyeLookUpLeft',
  'eyeBlinkRight',
  'eyeLookDownRight',
  'eyeLookInRight',
  'eyeLookOutRight',
  'eyeLookUpRight',
].map((n) => BLENDSHAPE_INDEX[n as keyof typeof BLENDSHAPE_INDEX]);
/** Clips whose audio lags the picture (fixtures' SOURCES.md), ms to advance the audio. */
const DEFAULT_SHIFTS: Record<string, number> = { talk_edtalk_uncrop_Obama: 240 };
/**
 * Clips of one person under different names: the speaker id groups them so a validation
 * speaker is held out whole (every other clip is its own speaker).
 */
const SAME_SPEAKER: [RegExp, string][] = [
  [/^talk_eamm_/, 'mead-eamm'],
  [/^talk_lipnet_(id2_vcd_swwp2s|pwij3p)$/, 'grid-grey-hair-man'],
  [/^body_tango_demo\d$/, 'tango-demo'],
];

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    split: { type: 'string', default: 'train' },
    tracks: { type: 'string', default: 'data/motion/tracks' },
    copies: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    shift: { type: 'string', multiple: true, default: [] },
    'track-only': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
if (!values.out) throw new Error('--out <dir> is required');
if (values.split !== 'train' && values.split !== 'heldout')
  throw new Error('--split must be train or heldout');
const split = values.split;
const copies = split === 'heldout' ? 1 : Math.max(1, Number(values.copies));
const seed = Number(values.seed);
const tracksDir = values.tracks as string;
const shifts = new Map(Object.entries(DEFAULT_SHIFTS));
for (const s of values.shift ?? []) {
  const [name = '', ms = '0'] = s.split('=');
  shifts.set(sourceStem(name), Number(ms));
}
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const inputs =
  positionals.length > 0
    ? positionals
    : ['train-talk', 'train-body', 'video'].map((d) => join(fixtures, d));
const heldout = await loadHeldoutSources();
const files = (await listVideos(inputs)).filter(
  (f) => heldout.has(sourceStem(f)) === (split === 'heldout'),
);
await mkdir(tracksDir, { recursive: true });
const audio = new Map<string, Float32Array>();
for (const file of files) {
  const samples = await clipAudio(file, shifts.get(sourceStem(file)) ?? 0);
  if (samples) audio.set(file, samples);
}
const tracks = await ensureTracks([...audio.keys()], tracksDir);
if (values['track-only']) process.exit(0);
const writer = await ShardWriter.create(values.out, split);
let babble: Float32Array = new Float32Array(0);

for (const [clipNo, file] of files.entries()) {
  const stem = sourceStem(file);
  const samples = audio.get(file);
  const csv = tracks.get(file);
  if (!samples || !csv) continue;
  const tracked = (await readControlsFile(csv)).frames;
  const frames = Math.min(Math.floor(samples.length / FRAME_SAMPLES) + 1, tracked.length);
  const { targets, mask, facesFound } = trackedTargets(tracked.slice(0, frames));
  const meta = { clip: basename(file), speaker: speakerOf(stem), kind: 'real', facesFound };
  for (let c = 0; c < copies; c++) {
    const rng = mulberry32(seed * 7919 + clipNo * 31 + c);
    const clean = samples.subarray(0, frames * FRAME_SAMPLES);
    const aug = await augmentSpeech(clean, rng, { nonSpeech: false, clean: c === 0, babble });
    const n = Math.min(
      Math.floor(aug.samples.length / FRAME_SAMPLES) + 1,
      Math.floor((frames - 1) * aug.times) + 1,
    );
    writer.add({
      mel: computeLogMel(aug.samples),
      rms: frameRms(aug.samples, n),
      targets: retime(targets, frames, n, aug.times, 'linear'),
      mask: retime(mask, frames, n, aug.times, 'nearest'),
      frames: n,
      meta: { ...meta, copy: c, id: `${stem}-${c}`, augment: aug.log, durationMs: n * 40 },
    });
  }
  babble = babbleSource(samples);
  console.error(`${stem}: ${frames} frames, face in ${facesFound}, speaker ${meta.speaker}`);
}
await writer.flush();

/** Up to 10 s of this clip: reversed-babble noise for the next clip's augmented copies. */
function babbleSource(x: Float32Array): Float32Array {
  return x.subarray(0, Math.min(x.length, 16_000 * 10));
}

async function listVideos(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of paths) {
    if ((await stat(input)).isDirectory()) {
      for (const f of (await readdir(input)).sort())
        if (/\.(mp4|mpg|mov|mkv|webm|avi)$/i.test(f)) out.push(join(input, f));
    } else out.push(input);
  }
  return out;
}

/**
 * The clip's audio at 16 kHz, advanced by `shiftMs`; undefined when it has no audio track.
 * Decoding is retried: ffmpeg has failed transiently on this shared machine under heavy load.
 */
async function clipAudio(file: string, shiftMs: number): Promise<Float32Array | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const decoded = await decodeAudioFile(file);
      return decoded.samples.subarray(Math.round(shiftMs * 16));
    } catch (error) {
      if (!(error instanceof AudioError)) throw error;
      const retry = error.code === 'AUDIO_DECODE_FAILED' && attempt < 3;
      console.error(`${sourceStem(file)}: ${error.code}${retry ? ', retrying' : ', skipped'}`);
      if (!retry) return undefined;
    }
  }
}

function speakerOf(stem: string): string {
  for (const [pattern, speaker] of SAME_SPEAKER) if (pattern.test(stem)) return speaker;
  return stem;
}

/** Targets and mask (frames × 59) from tracked frames; see the header for what is supervised. */
function trackedTargets(tracked: ControlsFrame[]) {
  const frames = tracked.length;
  const found = tracked.filter((f) => f.faceFound);
  const quantile = (pick: (f: ControlsFrame) => number, q: number) => {
    const v = found.map(pick).sort((a, b) => a - b);
    return v[Math.floor((v.length - 1) * q)] ?? 0;
  };
  const rest = [
    quantile((f) => f.head.pitch, 0.5),
    quantile((f) => f.head.yaw, 0.5),
    quantile((f) => f.head.roll, 0.5),
  ] as const;
  const weights = new Float32Array(52);
  const upperRest = UPPER_FACE_CHANNELS.map((c) =>
    quantile((f) => blendshapeVector(f, weights)[c] as number, 0.1),
  );
  const targets = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  const mask = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  for (const [f, frame] of tracked.entries()) {
    const o = f * MOTION_OUTPUT_COUNT;
    targets.set(blendshapeVector(frame, weights), o);
    for (const [k, c] of UPPER_FACE_CHANNELS.entries())
      targets[o + c] = Math.max(0, (targets[o + c] as number) - (upperRest[k] as number));
    targets[o + HEAD_OFFSET] = frame.head.pitch - rest[0];
    targets[o + HEAD_OFFSET + 1] = frame.head.yaw - rest[1];
    targets[o + HEAD_OFFSET + 2] = frame.head.roll - rest[2];
    targets[o + GAZE_OFFSET] = frame.gaze.leftYaw;
    targets[o + GAZE_OFFSET + 1] = frame.gaze.leftPitch;
    targets[o + GAZE_OFFSET + 2] = frame.gaze.rightYaw;
    targets[o + GAZE_OFFSET + 3] = frame.gaze.rightPitch;
    if (!frame.faceFound) continue;
    mask.fill(1, o, o + MOTION_OUTPUT_COUNT);
    for (const c of EYE_IDLE_CHANNELS) mask[o + c] = 0;
    mask.fill(0, o + GAZE_OFFSET, o + GAZE_OFFSET + 4);
  }
  return { targets, mask, facesFound: found.length };
}

/**
 * Rows (× 59) of a `frames`-frame sequence at times scaled by `times` (a speed change):
 * new frame f shows old instant f / times. `n` new frames.
 */
function retime(
  rows: Float32Array,
  frames: number,
  n: number,
  times: number,
  mode: 'linear' | 'nearest',
): Float32Array {
  if (times === 1 && n === frames) return rows;
  const C = MOTION_OUTPUT_COUNT;
  const out = new Float32Array(n * C);
  for (let f = 0; f < n; f++) {
    const t = Math.min(f / times, frames - 1);
    const a = Math.floor(t);
    const b = Math.min(a + 1, frames - 1);
    const w = mode === 'nearest' ? (t - a < 0.5 ? 0 : 1) : t - a;
    for (let c = 0; c < C; c++)
      out[f * C + c] = (1 - w) * (rows[a * C + c] as number) + w * (rows[b * C + c] as number);
  }
  return out;
}
