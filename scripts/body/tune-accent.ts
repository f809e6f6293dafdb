/**
 * Tunes the beat accent's few parameters (src/body/accent.ts ACCENT_DEFAULTS) on the TRAINING
 * half-body clips only: every train-body clip whose stem is not in
 * test/fixtures/heldout/heldout.json `sources` (the held-out ones are never read here).
 * Per clip and seed (1–5) the body model runs once without the accent; each candidate is then
 * added on top and scored with the bench's measures (scripts/body/evaluate.ts: energy r and
 * beat align against the speech envelope). Objective: mean beat align + mean energy r, with
 * candidates whose shoulder-midpoint SD (model + accent + sway, taken as % of a frame whose
 * shoulders span 35 % of it) exceeds 1.2 % dropped. Prints the best candidates and the
 * defaults' figures.
 *
 *   nice -n 10 node --import tsx scripts/body/tune-accent.ts [--quick] [--check]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  ACCENT_DEFAULTS,
  type AccentParams,
  accentFrames,
  animateBody,
  BeatAccent,
  BODY_AUDIO_FEATURES,
  BodyModel,
  bodyAudioFeatures,
  TorsoSway,
} from '../../src/body/index.ts';
import type { ControlsSequence } from '../../src/controls/index.ts';
import { speechEnvelopeDb } from '../../src/face/index.ts';
import { animateAudio, MotionModel } from '../../src/motion/index.ts';
import { motionScores, SEEDS } from './evaluate.ts';

/** Shoulder span as a fraction of the frame width (the half-body framing the SD is read in). */
const SHOULDER_SPAN = 0.35;
const MAX_SHOULDER_SD_PCT = 1.2;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // Only the figures of the defaults and of the model without accent, no search.
    check: { type: 'boolean', default: false },
  },
});
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const heldout = new Set<string>(
  JSON.parse(await readFile('test/fixtures/heldout/heldout.json', 'utf8')).sources,
);
const stems = (await readdir(join(fixtures, 'train-body')))
  .filter((f) => f.endsWith('.mp4'))
  .map((f) => f.slice(0, -4))
  .filter((s) => !heldout.has(s))
  .sort();

interface Case {
  stem: string;
  seed: number;
  plain: ControlsSequence;
  features: Float32Array;
  envelope: Float64Array;
}

const motion = await MotionModel.load();
const body = await BodyModel.load();
const cases: Case[] = [];
try {
  for (const stem of stems) {
    const decoded = await decodeAudioFile(join(fixtures, 'train-body', `${stem}.mp4`)).catch(
      () => null,
    );
    if (!decoded) {
      console.error(`${stem}: no audio, skipped`);
      continue;
    }
    const { samples } = decoded;
    const envelope = speechEnvelopeDb(samples, Math.floor(samples.length / 640));
    const features = await bodyAudioFeatures(samples);
    for (const seed of values.quick ? SEEDS.slice(0, 2) : SEEDS) {
      const { sequence } = await animateAudio(motion, samples, { seed });
      await animateBody(body, sequence, samples, { seed, sway: false, accent: false });
      cases.push({ stem, seed, plain: sequence, features, envelope });
    }
    console.error(`${stem}: ${(samples.length / 16_000).toFixed(1)} s`);
  }
} finally {
  await body.close();
  await motion.close();
}

interface Score {
  params: AccentParams | null;
  beat: number;
  energy: number;
  shoulderSdPct: number;
}

/** Mean scores over the cases with `params` (null: the model without accent). */
function score(params: AccentParams | null): Score {
  let beat = 0;
  let energy = 0;
  let sd = 0;
  for (const c of cases) {
    const seq = structuredClone(c.plain);
    const available = Math.floor(c.features.length / BODY_AUDIO_FEATURES);
    if (params) accentFrames(new BeatAccent(c.seed, params), seq.frames, c.features, 0, available);
    const m = motionScores(seq, c.envelope);
    beat += m.beatAlign;
    energy += Number.isFinite(m.energyR) ? m.energyR : 0;
    const sway = new TorsoSway(c.seed);
    seq.frames.forEach((frame, f) => {
      sway.apply(frame, f < available ? c.features : undefined, f * BODY_AUDIO_FEATURES);
    });
    sd += shoulderSdPct(seq);
  }
  const n = cases.length;
  return { params, beat: beat / n, energy: energy / n, shoulderSdPct: sd / n };
}

/** Shoulder-midpoint SD (the larger of x and y), % of the frame width. */
function shoulderSdPct(seq: ControlsSequence): number {
  const sd = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
  };
  const mid = (axis: 'x' | 'y') =>
    seq.frames.map((f) => (f.body.leftShoulder[axis] + f.body.rightShoulder[axis]) / 2);
  return 100 * SHOULDER_SPAN * Math.max(sd(mid('x')), sd(mid('y')));
}

const line = (s: Score) =>
  `beat ${s.beat.toFixed(3)} energy r ${s.energy.toFixed(3)} shoulder SD ${s.shoulderSdPct.toFixed(2)} %  ${s.params ? JSON.stringify(s.params) : 'no accent'}`;

console.log(`training clips: ${stems.length}, cases: ${cases.length}`);
console.log(`without accent: ${line(score(null))}`);
console.log(`defaults:       ${line(score(ACCENT_DEFAULTS))}`);

if (values.check) process.exit(0);
const grid: AccentParams[] = [];
for (const gain of [0.15, 0.22, 0.3, 0.45])
  for (const threshold of [0.3, 0.5, 0.7, 0.9])
    for (const loudPower of [0, 1, 2, 4])
      for (const returnTauS of [0.1, 0.15, 0.25])
        for (const refractoryFrames of [4, 6])
          grid.push({
            ...ACCENT_DEFAULTS,
            gain,
            threshold,
            loudPower,
            returnTauS,
            refractoryFrames,
          });
const scored = grid
  .map(score)
  .filter((s) => s.shoulderSdPct <= MAX_SHOULDER_SD_PCT)
  .sort((a, b) => b.beat + b.energy - (a.beat + a.energy));
console.log(`${grid.length} candidates; best:`);
for (const s of scored.slice(0, 10)) console.log(line(s));
