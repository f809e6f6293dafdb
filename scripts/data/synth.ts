/**
 * Synthetic audio → motion training data.
 *
 *   node --import tsx scripts/data/synth.ts --out data/motion/synth/train --split train --sessions 600
 *   node --import tsx scripts/data/synth.ts --out data/motion/synth/heldout --split heldout --sessions 80
 *
 * Each session: 1–3 sentences spoken by one espeak-ng voice (language × timbre variant × rate ×
 * pitch) with pauses, augmented (speed/pitch, telephone, tilt, reverb, noise, gain), plus a few
 * sessions of music or noise alone (target: mouth at rest). The log-mel comes from the
 * project's TypeScript extractor (src/features) — the trainer never computes features.
 * Targets per 25 fps frame: mouth weights from phoneme timing (src/motion visemes, with
 * coarticulation) and head nods on stressed syllables. Blinks, gaze and head sway are not audio
 * targets: the runtime's seeded idle layer supplies them (same generator, src/motion/idle.ts).
 *
 * `heldout` uses only voice variants that `train` never uses. Output: shards in the format of
 * scripts/data/shards.ts.
 */
import { parseArgs } from 'node:util';
import {
  BLENDSHAPE_COUNT,
  BLENDSHAPE_INDEX,
  type BlendshapeName,
} from '../../src/controls/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import {
  HEAD_OFFSET,
  MOTION_OUTPUT_COUNT,
  mulberry32,
  visemeWeights,
} from '../../src/motion/index.ts';
import { EspeakTts, type PhonemeEvent } from '../../src/tts/index.ts';
import {
  type AugmentLog,
  addNoise,
  applyGain,
  applyTilt,
  gaussian,
  makeNoise,
  reverb,
  speedChange,
  telephone,
} from './augment.ts';
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
const EXCLUDED_VARIANTS = new Set([
  'whisper',
  'whisperf',
  'Demonic',
  'croak',
  'UniRobot',
  'anikaRobot',
]);

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    split: { type: 'string', default: 'train' },
    sessions: { type: 'string', default: '600' },
    seed: { type: 'string', default: '1' },
    copies: { type: 'string' },
    'shard-size': { type: 'string', default: '100' },
  },
});
if (!values.out) throw new Error('--out <dir> is required');
const split = values.split === 'heldout' ? 'heldout' : 'train';
const sessions = Number(values.sessions);
const seed = Number(values.seed) + (split === 'heldout' ? 1_000_003 : 0);
const copies = Number(values.copies ?? 2);
const shardSize = Number(values['shard-size']);
const outDir = values.out;

const tts = await EspeakTts.load();
const variants = tts.variants.filter((v) =>
  split === 'heldout'
    ? HELDOUT_VARIANTS.includes(v)
    : !HELDOUT_VARIANTS.includes(v) && !EXCLUDED_VARIANTS.has(v),
);
/** Channels synthetic data supervises: jaw, mouth, cheeks, tongue, head. Not eyes, brows, gaze. */
const SUPERVISED = new Float32Array(MOTION_OUTPUT_COUNT);
for (let c = 0; c < BLENDSHAPE_COUNT; c++) {
  const name = Object.keys(BLENDSHAPE_INDEX)[c] as BlendshapeName;
  if (/^(jaw|mouth|cheekPuff|tongue)/.test(name)) SUPERVISED[c] = 1;
}
for (let k = 0; k < 3; k++) SUPERVISED[HEAD_OFFSET + k] = 1;

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
        ? music(rng, 4 + rng() * 8)
        : new Float32Array(Math.round(SR * (3 + rng() * 6)));
    meta = {};
  }
  for (let c = 0; c < copies; c++) {
    const crng = mulberry32(seed * 104_729 + s * 31 + c);
    const { samples, times, log } = augment(
      clean,
      crng,
      kind !== 'speech',
      c === 0 && split === 'heldout',
    );
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

function augment(x: Float32Array, rng: () => number, nonSpeech: boolean, clean: boolean) {
  const log: AugmentLog = {
    speed: 1,
    telephone: false,
    tilt: 0,
    reverbWet: 0,
    noise: 'none',
    snrDb: 0,
    gainDb: -3,
  };
  let y = x;
  if (!clean && rng() < 0.5) {
    log.speed = 0.9 + rng() * 0.2;
    y = speedChange(y, log.speed);
  }
  if (!clean && rng() < 0.15) {
    log.telephone = true;
    y = telephone(y);
  }
  if (!clean && rng() < 0.4) {
    log.tilt = (rng() * 2 - 1) * 0.6;
    y = applyTilt(y, log.tilt);
  }
  if (!clean && rng() < 0.35) {
    log.reverbWet = 0.1 + rng() * 0.25;
    y = reverb(y, log.reverbWet, 0.5 + rng() * 0.7, rng);
  }
  if (nonSpeech || (!clean && rng() < 0.75)) {
    const kinds = ['white', 'pink', 'brown', 'hum', 'babble'];
    log.noise = kinds[Math.floor(rng() * kinds.length)] as string;
    if (log.noise === 'babble' && babble.length === 0) log.noise = 'pink';
    log.snrDb = nonSpeech ? 0 : 5 + rng() * 30;
    const noise = makeNoise(log.noise, y.length, rng, babble);
    y = nonSpeech && isSilent(y) ? scaleTo(noise, 0.05) : addNoise(y, noise, log.snrDb);
  }
  log.gainDb = clean ? -3 : -26 + rng() * 25 + (rng() < 0.05 ? 6 : 0);
  y = applyGain(y, log.gainDb);
  return { samples: y, times: log.speed, log };
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

/** Synthetic music: 2–4 harmonic voices on a pentatonic scale plus noise-burst percussion. */
function music(rng: () => number, seconds: number): Float32Array {
  const n = Math.round(SR * seconds);
  const out = new Float32Array(n);
  const scale = [0, 2, 4, 7, 9];
  const voices = 2 + Math.floor(rng() * 3);
  for (let v = 0; v < voices; v++) {
    let i = 0;
    let phase = 0;
    while (i < n) {
      const len = Math.round(SR * (0.15 + rng() * 0.45));
      const semis =
        (scale[Math.floor(rng() * scale.length)] as number) + 12 * Math.floor(rng() * 3) - 12;
      const f0 = 220 * 2 ** ((semis + v * 7) / 12);
      for (let k = 0; k < len && i < n; k++, i++) {
        phase += (2 * Math.PI * f0) / SR;
        let s = 0;
        for (let h = 1; h <= 6; h++) s += Math.sin(h * phase) / h;
        const env = Math.min(1, k / 200) * Math.exp(-k / (len * 0.8));
        out[i] = (out[i] as number) + (0.15 * s * env) / voices;
      }
    }
  }
  const beat = Math.round(SR * (0.3 + rng() * 0.3));
  for (let i = 0; i < n; i += beat) {
    for (let k = 0; k < 2000 && i + k < n; k++)
      out[i + k] = (out[i + k] as number) + 0.2 * gaussian(rng) * Math.exp(-k / 300);
  }
  return out;
}

function isSilent(x: Float32Array): boolean {
  for (const v of x) if (v !== 0) return false;
  return true;
}

function scaleTo(x: Float32Array, level: number): Float32Array {
  return x.map((v) => v * level);
}

function silence(seconds: number): Float32Array {
  return new Float32Array(Math.round(SR * seconds));
}
