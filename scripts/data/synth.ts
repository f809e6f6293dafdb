/**
 * Synthetic audio → motion training data.
 *
 *   node --import tsx scripts/data/synth.ts --out data/motion/synth/train --split train --sessions 600
 *   node --import tsx scripts/data/synth.ts --out data/motion/synth/heldout --split heldout --sessions 80
 *
 * Each session: 1–3 sentences spoken by one espeak-ng voice (language × timbre variant × rate ×
 * pitch) or, for `--flite-share` of the sessions, one of Debian flite's English voices, with
 * pauses, augmented (scripts/data/augment.ts: speed/pitch, telephone, tilt, reverb, noise or
 * music under the speech, codecs, whisper-quiet to clipped gain), plus a few sessions of music
 * or noise alone (target: mouth at rest). The log-mel comes from the
 * project's TypeScript extractor (src/features) — the trainer never computes features.
 * Targets per 25 fps frame: mouth weights from phoneme timing (src/motion visemes, with
 * coarticulation) and head nods on stressed syllables. Blinks, gaze and head sway are not audio
 * targets (they are supervised at rest): the runtime's seeded idle layer supplies them. Brows,
 * eye squint/wide and cheek squint are left unsupervised: the real tracked clips teach them.
 *
 * `heldout` uses only voice variants that `train` never uses. Output: shards in the format of
 * scripts/data/shards.ts.
 */
import { parseArgs } from 'node:util';
import { BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import {
  HEAD_OFFSET,
  MOTION_OUTPUT_COUNT,
  mulberry32,
  visemeWeights,
} from '../../src/motion/index.ts';
import { EspeakTts, type PhonemeEvent } from '../../src/tts/index.ts';
import { augmentSpeech, makeMusic } from './augment.ts';
import { UPPER_FACE_CHANNELS } from './channels.ts';
import { FLITE_VOICES, fliteSpeak } from './flite.ts';
import { concat, frameRms, ShardWriter } from './shards.ts';
import { englishSentence, PSEUDO_LANGUAGES, pseudoSentence } from './text.ts';

const SR = 16_000;
const FRAME_SAMPLES = 640;

/** Timbre variants held out of training (the held-out split uses only these). */
export const HELDOUT_VARIANTS = [
  'f4',
  'm6',
  'klatt4',
  'Andy',
  'steph2',
  'iven3',
  'norbert',
  'edward2',
  'Alicia',
  'mike2',
];
const ENGLISH = ['en-us', 'en-gb', 'en-gb-x-rp', 'en-gb-scotland', 'en-029', 'en-us-nyc'];
const EXCLUDED_VARIANTS = new Set(['Demonic', 'croak', 'UniRobot', 'anikaRobot']);

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    split: { type: 'string', default: 'train' },
    sessions: { type: 'string', default: '600' },
    seed: { type: 'string', default: '1' },
    copies: { type: 'string' },
    'shard-size': { type: 'string', default: '100' },
    'flite-share': { type: 'string', default: '0.3' },
  },
});
if (!values.out) throw new Error('--out <dir> is required');
const split = values.split === 'heldout' ? 'heldout' : 'train';
const sessions = Number(values.sessions);
const seed = Number(values.seed) + (split === 'heldout' ? 1_000_003 : 0);
const copies = Number(values.copies ?? 2);
const shardSize = Number(values['shard-size']);
const fliteShare = Number(values['flite-share']);
/** flite voices held out like espeak's variants: the held-out split speaks only with these. */
const FLITE_HELDOUT = ['rms'];
const fliteVoices = FLITE_VOICES.filter((v) => FLITE_HELDOUT.includes(v) === (split === 'heldout'));
const outDir = values.out;

const tts = await EspeakTts.load();
const variants = tts.variants.filter((v) =>
  split === 'heldout'
    ? HELDOUT_VARIANTS.includes(v)
    : !HELDOUT_VARIANTS.includes(v) && !EXCLUDED_VARIANTS.has(v),
);
/**
 * Synthetic data supervises the mouth (phonemes), the head (nods), and blinks, eye looks and gaze
 * at rest (0): blinks and gaze shifts are the idle layer's job, so the model must leave them at 0
 * rather than output an average half-blink. Brows, eye squint/wide and cheek squint follow the
 * speech in real faces and are learnt from the tracked clips only (unsupervised here).
 */
const SUPERVISED = new Float32Array(MOTION_OUTPUT_COUNT).fill(1);
for (const c of UPPER_FACE_CHANNELS) SUPERVISED[c] = 0;

const writer = await ShardWriter.create(outDir, split);
let babble: Float32Array = new Float32Array(0);
let totalSeconds = 0;
const started = Date.now();

for (let s = 0; s < sessions; s++) {
  const rng = mulberry32(seed * 7919 + s);
  const r = rng();
  const kind = r < 0.05 ? 'music' : r < 0.08 ? 'noise' : 'speech';
  let clean: Float32Array;
  let phonemes: PhonemeEvent[] = [];
  let meta: Record<string, unknown>;
  if (kind === 'speech') {
    const made = await speakSession(rng);
    clean = made.samples;
    phonemes = made.phonemes;
    meta = made.meta;
  } else {
    clean =
      kind === 'music'
        ? makeMusic(rng, 4 + rng() * 8)
        : new Float32Array(Math.round(SR * (3 + rng() * 6)));
    meta = {};
  }
  for (let c = 0; c < copies; c++) {
    const crng = mulberry32(seed * 104_729 + s * 31 + c);
    const { samples, times, log } = await augmentSpeech(clean, crng, {
      nonSpeech: kind !== 'speech',
      clean: c === 0 && split === 'heldout',
      babble,
    });
    const scaled = phonemes.map((p) => ({
      ...p,
      startMs: p.startMs * times,
      endMs: p.endMs * times,
    }));
    addSession(
      samples,
      scaled,
      { id: `${split}-${s}-${c}`, kind, ...meta, augment: log },
      split === 'heldout',
    );
  }
  if (kind === 'speech') babble = clean;
  if ((s + 1) % shardSize === 0) await writer.flush();
  if ((s + 1) % 20 === 0)
    console.error(
      `${split}: ${s + 1}/${sessions} sessions, ${(totalSeconds / 60).toFixed(1)} min audio, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
}
await writer.flush();
await tts.close();
console.error(
  `${split}: done, ${(totalSeconds / 3600).toFixed(2)} h of audio in ${writer.shards} shards`,
);

async function speakSession(rng: () => number) {
  if (rng() < fliteShare) return fliteSession(rng);
  const english = rng() < 0.7;
  const language = english
    ? (ENGLISH[Math.floor(rng() * ENGLISH.length)] as string)
    : (PSEUDO_LANGUAGES[Math.floor(rng() * PSEUDO_LANGUAGES.length)] as string);
  const variant = variants[Math.floor(rng() * variants.length)] as string;
  const voice = `${language}+${variant}`;
  const rate = 0.75 + rng() * 0.85;
  const pitch = 0.5 + rng() * 1.1;
  const parts: Float32Array[] = [silence(0.2 + rng() * 0.7)];
  const phonemes: PhonemeEvent[] = [];
  const texts: string[] = [];
  let offsetMs = (parts[0] as Float32Array).length / 16;
  const count = 1 + Math.floor(rng() * 3);
  for (let u = 0; u < count; u++) {
    const text =
      english && rng() < 0.85
        ? englishSentence(rng)
        : pseudoSentence(rng, english ? 'en' : language);
    texts.push(text);
    const result = await tts.synthesize(text, { voice, rate, pitch });
    for (const p of result.phonemes ?? [])
      phonemes.push({ ...p, startMs: p.startMs + offsetMs, endMs: p.endMs + offsetMs });
    parts.push(result.samples);
    const pause = silence(u === count - 1 ? 0.3 + rng() * 0.8 : 0.1 + rng() * 1.0);
    parts.push(pause);
    offsetMs += (result.samples.length + pause.length) / 16;
  }
  return {
    samples: concat(parts),
    phonemes,
    meta: { voice, language, variant, rate, pitch, texts },
  };
}

/** 1–3 English sentences from one flite voice at one speaking rate, with pauses. */
async function fliteSession(rng: () => number) {
  const voice = fliteVoices[Math.floor(rng() * fliteVoices.length)] as string;
  const stretch = 0.7 + rng() * 0.65;
  const parts: Float32Array[] = [silence(0.2 + rng() * 0.7)];
  const phonemes: PhonemeEvent[] = [];
  const texts: string[] = [];
  let offsetMs = (parts[0] as Float32Array).length / 16;
  const count = 1 + Math.floor(rng() * 3);
  for (let u = 0; u < count; u++) {
    const text = englishSentence(rng);
    texts.push(text);
    const result = await fliteSpeak(text, voice, stretch);
    for (const p of result.phonemes)
      phonemes.push({ ...p, startMs: p.startMs + offsetMs, endMs: p.endMs + offsetMs });
    parts.push(result.samples);
    const pause = silence(u === count - 1 ? 0.3 + rng() * 0.8 : 0.1 + rng() * 1.0);
    parts.push(pause);
    offsetMs += (result.samples.length + pause.length) / 16;
  }
  return {
    samples: concat(parts),
    phonemes,
    meta: { voice: `flite-${voice}`, language: 'en', variant: voice, rate: 1 / stretch, texts },
  };
}

function addSession(
  samples: Float32Array,
  phonemes: PhonemeEvent[],
  meta: Record<string, unknown>,
  keepPhonemes: boolean,
) {
  const durationMs = (samples.length / SR) * 1000;
  const frames = Math.ceil(samples.length / FRAME_SAMPLES);
  const mel = computeLogMel(samples);
  const mouth = visemeWeights(phonemes, durationMs);
  const targets = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  for (let f = 0; f < frames; f++) {
    const src = Math.min(f, mouth.length / BLENDSHAPE_COUNT - 1);
    targets.set(
      mouth.subarray(src * BLENDSHAPE_COUNT, (src + 1) * BLENDSHAPE_COUNT),
      f * MOTION_OUTPUT_COUNT,
    );
  }
  addNods(targets, phonemes, frames);
  const mask = new Float32Array(frames * MOTION_OUTPUT_COUNT);
  for (let f = 0; f < frames; f++) mask.set(SUPERVISED, f * MOTION_OUTPUT_COUNT);
  writer.add({
    mel,
    rms: frameRms(samples, frames),
    targets,
    mask,
    frames,
    meta: { ...meta, durationMs, ...(keepPhonemes ? { phonemes } : {}) },
  });
  totalSeconds += durationMs / 1000;
}

/** Head nods: a raised-cosine pitch pulse (~0.3 s) starting at each primary-stressed vowel. */
function addNods(targets: Float32Array, phonemes: PhonemeEvent[], frames: number) {
  for (const p of phonemes) {
    if (!p.phoneme.includes('ˈ')) continue;
    const startFrame = (p.startMs - 40) / 40;
    for (let k = 0; k < 8; k++) {
      const f = Math.round(startFrame) + k;
      if (f < 0 || f >= frames) continue;
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (k + 0.5)) / 8);
      const i = f * MOTION_OUTPUT_COUNT + HEAD_OFFSET;
      targets[i] = Math.min(0.06, (targets[i] as number) + 0.025 * w);
    }
  }
}

function silence(seconds: number): Float32Array {
  return new Float32Array(Math.round(SR * seconds));
}
