/**
 * Does the predicted body move with the speech? Per held-out half-body clip, for the body
 * model with its beat accent (src/body/accent.ts) and without (seeds 1–5), a seeded idle-sway baseline (the model's own noise process scaled to the
 * training motion's SD per channel, no audio) and — where the clip's tracked body exists in
 * data/body/tracks — the real speaker:
 *
 * - energy r: Pearson r between the joints' speed (shoulder widths per frame over the 12
 *   joint channels) and the speech envelope (src/face speechEnvelopeDb, floored 50 dB below
 *   its peak), both averaged over 0.52 s (13 frames);
 * - beat align: do the gestures' strokes land on the speech's beats? Motion beats are the
 *   peaks of the joint speed (3-frame average) that rise above both neighbouring minima by at
 *   least half the speed's SD (a stroke); speech beats are the peaks of the envelope's 80 ms
 *   rise above its 60th percentile, ≥ 200 ms apart (syllable onsets, strongest on stressed
 *   syllables). Score: mean over motion beats of exp(−d²/2σ²), d the distance to the nearest
 *   speech beat, σ = 100 ms (BeatAlign, Li et al. 2021, taken from the motion side: a random
 *   stroke scores what chance gives for this speech's beat density).
 *
 * The face motion comes from the shipped motion model on the same audio (its head drives the
 * neck input), so this is the product's path end to end.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  addBodyRows,
  animateBody,
  BODY_NOISE_CHANNELS,
  BODY_OUTPUT_COUNT,
  type BodyModel,
  BodyNoise,
  bodyTargets,
} from '../../src/body/index.ts';
import { type ControlsSequence, readControlsFile } from '../../src/controls/index.ts';
import { speechEnvelopeDb } from '../../src/face/index.ts';
import { animateAudio, type MotionModel, pearson } from '../../src/motion/index.ts';

const SMOOTH = 13;
const SIGMA_FRAMES = 2.5;
export const SEEDS = [1, 2, 3, 4, 5];

/** The held-out half-body clips: the fixture collection's whole clip, else the repository's first 10 s. */
export async function heldOutBodyClips(): Promise<{ stem: string; path: string }[]> {
  const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
  const candidates = [
    {
      stem: 'body_tango_female_test_V1',
      paths: [
        join(fixtures, 'train-body/body_tango_female_test_V1.mp4'),
        'test/fixtures/heldout/clips/tango_female_384.mp4',
      ],
    },
    { stem: 'body_show_half', paths: [join(fixtures, 'train-body/body_show_half.mp4')] },
  ];
  const out: { stem: string; path: string }[] = [];
  for (const c of candidates) {
    for (const path of c.paths) {
      if (await exists(path)) {
        out.push({ stem: c.stem, path });
        break;
      }
    }
  }
  return out;
}

export interface ClipScore {
  clip: string;
  seconds: number;
  energyR: Arms;
  beatAlign: Arms;
}

/** One measure per arm: seeds' values for the model with and without the beat accent and the idle sway. */
export interface Arms {
  model: number[];
  noAccent: number[];
  idle: number[];
  real: number | null;
}

/** Scores one clip (see the file comment). */
export async function scoreClip(
  motion: MotionModel,
  body: BodyModel,
  clip: { stem: string; path: string },
): Promise<ClipScore> {
  const { samples } = await decodeAudioFile(clip.path);
  const envelope = speechEnvelopeDb(samples, Math.floor(samples.length / 640));
  const score: ClipScore = {
    clip: clip.stem,
    seconds: samples.length / 16_000,
    energyR: { model: [], noAccent: [], idle: [], real: null },
    beatAlign: { model: [], noAccent: [], idle: [], real: null },
  };
  const std = (body.manifest.config as { targetStd?: number[] }).targetStd ?? [];
  for (const seed of SEEDS) {
    const { sequence } = await animateAudio(motion, samples, { seed });
    const idle = structuredClone(sequence);
    addBodyRows(idle.frames, idleSway(idle.frames.length, seed, std));
    const plain = structuredClone(sequence);
    // The learned model with its beat accent, and alone (the torso sway rule is measured by
    // `npm run bench -- torso`).
    const predicted = await animateBody(body, sequence, samples, { seed, sway: false });
    const noAccent = await animateBody(body, plain, samples, { seed, sway: false, accent: false });
    for (const [key, seq] of [
      ['model', predicted],
      ['noAccent', noAccent],
      ['idle', idle],
    ] as const) {
      const m = motionScores(seq, envelope);
      score.energyR[key].push(m.energyR);
      score.beatAlign[key].push(m.beatAlign);
    }
  }
  const tracked = join('data/body/tracks', `${clip.stem}.json`);
  if (await exists(tracked)) {
    const m = motionScores(await readControlsFile(tracked), envelope);
    score.energyR.real = m.energyR;
    score.beatAlign.real = m.beatAlign;
  }
  return score;
}

/** The baseline: each body channel an independent seeded sway at the training motion's SD. */
export function idleSway(frames: number, seed: number, std: readonly number[]): Float32Array {
  const groups = Math.ceil(BODY_OUTPUT_COUNT / BODY_NOISE_CHANNELS);
  const noises = Array.from({ length: groups }, (_, g) => new BodyNoise(seed * 1000 + g));
  const rows = new Float32Array(frames * BODY_OUTPUT_COUNT);
  const buffer = new Float32Array(groups * BODY_NOISE_CHANNELS);
  for (let f = 0; f < frames; f++) {
    noises.forEach((n, g) => {
      n.next(buffer, g * BODY_NOISE_CHANNELS);
    });
    for (let c = 0; c < BODY_OUTPUT_COUNT; c++)
      rows[f * BODY_OUTPUT_COUNT + c] = (buffer[c] as number) * (std[c] ?? 0);
  }
  return rows;
}

/** Energy r and BeatAlign of a sequence's body motion against a speech envelope. */
export function motionScores(
  sequence: ControlsSequence,
  envelopeDb: Float64Array,
): { energyR: number; beatAlign: number } {
  const frames = Math.min(sequence.frames.length, envelopeDb.length);
  const rows = bodyTargets(sequence.frames.slice(0, frames));
  const speed = new Float64Array(frames);
  for (let f = 1; f < frames; f++) {
    let s = 0;
    for (let c = 1; c < BODY_OUTPUT_COUNT; c++) {
      const d =
        (rows[f * BODY_OUTPUT_COUNT + c] as number) -
        (rows[(f - 1) * BODY_OUTPUT_COUNT + c] as number);
      s += d * d;
    }
    speed[f] = Math.sqrt(s);
  }
  speed[0] = speed[1] ?? 0;
  const peak = Math.max(...envelopeDb.subarray(0, frames));
  const env = Float64Array.from(envelopeDb.subarray(0, frames), (v) => Math.max(v, peak - 50));
  const energyR = pearson(average(speed, SMOOTH), average(env, SMOOTH));
  const rise = Float64Array.from(env, (v, f) =>
    Math.max(0, v - (env[Math.max(0, f - 2)] as number)),
  );
  const speechBeats = peaks(rise, quantile(rise, 0.6), 5);
  const motionBeats = strokes(average(speed, 3));
  let sum = 0;
  for (const m of motionBeats) {
    let d = Number.POSITIVE_INFINITY;
    for (const b of speechBeats) d = Math.min(d, Math.abs(m - b));
    sum += Math.exp(-(d * d) / (2 * SIGMA_FRAMES * SIGMA_FRAMES));
  }
  return { energyR, beatAlign: motionBeats.length > 0 ? sum / motionBeats.length : 0 };
}

/** Speed peaks rising at least half the speed's SD above the minima on both sides. */
function strokes(speed: Float64Array): number[] {
  const n = speed.length;
  const mean = speed.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = Math.sqrt(speed.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n));
  const out: number[] = [];
  for (let f = 1; f + 1 < n; f++) {
    const v = speed[f] as number;
    if (!(v > (speed[f - 1] as number) && v >= (speed[f + 1] as number))) continue;
    let left = v;
    for (let j = f - 1; j >= 0 && (speed[j] as number) <= (speed[j + 1] as number); j--)
      left = speed[j] as number;
    let right = v;
    for (let j = f + 1; j < n && (speed[j] as number) <= (speed[j - 1] as number); j++)
      right = speed[j] as number;
    if (v - Math.max(left, right) >= 0.5 * sd) out.push(f);
  }
  return out;
}

function average(values: Float64Array, window: number): Float64Array {
  const half = window >> 1;
  return values.map((_, i) => {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(values.length - 1, i + half); j++) {
      s += values[j] as number;
      n++;
    }
    return s / n;
  });
}

function quantile(values: Float64Array, q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? 0;
}

/** Local maxima above `threshold`, greedily keeping the largest at least `gap` frames apart. */
function peaks(values: Float64Array, threshold: number, gap: number): number[] {
  const candidates: number[] = [];
  for (let f = 1; f + 1 < values.length; f++) {
    const v = values[f] as number;
    if (v > threshold && v >= (values[f - 1] as number) && v > (values[f + 1] as number))
      candidates.push(f);
  }
  candidates.sort((a, b) => (values[b] as number) - (values[a] as number));
  const kept: number[] = [];
  for (const c of candidates) if (kept.every((k) => Math.abs(k - c) >= gap)) kept.push(c);
  return kept.sort((a, b) => a - b);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
