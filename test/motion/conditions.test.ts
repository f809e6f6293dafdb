/**
 * Speech conditions a user's audio brings: whispered and very quiet speech, shouting into
 * clipping, music under the speech, long silences. The audio is made here from the fixture
 * speech (jfk.wav, never a held-out voice): a noise vocoder for the whisper, gain and clipping,
 * synthetic music, inserted silence. The model (models/motion) must give a sane mouth: it moves
 * with the speech, closes in silence and never saturates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { animateAudio, MOTION_OUTPUT_COUNT, MotionModel, pearson } from '../../src/motion/index.ts';
import { fixture } from '../helpers/media.ts';

const C = MOTION_OUTPUT_COUNT;
const JAW = BLENDSHAPE_INDEX.jawOpen;
const SR = 16_000;
const FRAME = 640;

let model: MotionModel;
let speech: Float32Array;
/** Speech energy (dB, 40 ms frames) of the clean fixture: what the mouth should follow. */
let energyDb: Float32Array;
/** Frames where the clean fixture is speaking (within 20 dB of its loud frames). */
let speaking: boolean[];
let normalJaw: Float32Array;

beforeAll(async () => {
  model = await MotionModel.load();
  speech = (await decodeAudioFile(fixture('speech/jfk.wav'))).samples.subarray(0, SR * 8);
  energyDb = frameEnergyDb(speech);
  const loud = [...energyDb].sort((a, b) => b - a)[Math.floor(energyDb.length * 0.1)] as number;
  speaking = [...energyDb].map((e) => e > loud - 20);
  normalJaw = await jaw(speech);
});
afterAll(async () => {
  await model.close();
});

/** The model's jawOpen per frame (no idle layer). */
async function jaw(samples: Float32Array): Promise<Float32Array> {
  const { rows } = await animateAudio(model, samples, { idle: false });
  return Float32Array.from({ length: rows.length / C }, (_, f) => rows[f * C + JAW] as number);
}

function frameEnergyDb(x: Float32Array): Float32Array {
  const frames = Math.floor(x.length / FRAME) + 1;
  return Float32Array.from({ length: frames }, (_, f) => {
    let acc = 0;
    const from = Math.max(0, f * FRAME - FRAME / 2);
    const to = Math.min(x.length, f * FRAME + FRAME / 2);
    for (let i = from; i < to; i++) acc += (x[i] as number) ** 2;
    return 10 * Math.log10(acc / Math.max(1, to - from) + 1e-9);
  });
}

const scaled = (x: Float32Array, gain: number) => x.map((v) => Math.max(-1, Math.min(1, v * gain)));
const sd = (x: ArrayLike<number>) => {
  const v = Array.from(x);
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};
const onSpeech = (x: Float32Array) => x.filter((_, f) => speaking[f] === true);
/** Correlation with the clean speech's energy over the whole clip (lag 0). */
const followsSpeech = (x: Float32Array) => pearson(x, energyDb.subarray(0, x.length));

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
}

/** RBJ band-pass (0 dB peak) run over `x`. */
function bandpass(x: Float32Array, centreHz: number, q: number): Float32Array {
  const w = (2 * Math.PI * centreHz) / SR;
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  const [b0, b2, a1, a2] = [alpha / a0, -alpha / a0, (-2 * Math.cos(w)) / a0, (1 - alpha) / a0];
  const y = new Float32Array(x.length);
  let [x1, x2, y1, y2] = [0, 0, 0, 0];
  for (let i = 0; i < x.length; i++) {
    const v = b0 * (x[i] as number) + b2 * x2 - a1 * y1 - a2 * y2;
    [x2, x1, y2, y1] = [x1, x[i] as number, y1, v];
    y[i] = v;
  }
  return y;
}

/** Whisper-like speech: a 16-band noise vocoder (speech envelopes on band-passed noise, no voicing). */
function whisper(x: Float32Array): Float32Array {
  const rand = seeded(7);
  const noise = Float32Array.from(x, () => rand());
  const out = new Float32Array(x.length);
  for (let b = 0; b < 16; b++) {
    const centre = 150 * (7000 / 150) ** (b / 15);
    const band = bandpass(x, centre, 4);
    const carrier = bandpass(noise, centre, 4);
    let env = 0;
    const k = Math.exp((-2 * Math.PI * 30) / SR);
    for (let i = 0; i < x.length; i++) {
      env = k * env + (1 - k) * Math.abs(band[i] as number);
      out[i] = (out[i] as number) + 3 * env * (carrier[i] as number);
    }
  }
  return out;
}

/** 4 voices of harmonic tones on a pentatonic scale plus a noise-burst beat, unit peak. */
function music(length: number): Float32Array {
  const rand = seeded(3);
  const out = new Float32Array(length);
  const notes = [220, 247, 277, 330, 370, 440];
  for (let i = 0; i < length; i++) {
    let v = 0;
    for (let voice = 0; voice < 4; voice++) {
      const f0 = notes[(Math.floor(i / 3000) * (voice + 1) + voice) % notes.length] as number;
      for (let h = 1; h <= 4; h++) v += Math.sin((2 * Math.PI * f0 * (voice + 1) * h * i) / SR) / h;
    }
    const beat = i % 8000;
    out[i] = 0.15 * v + (beat < 1500 ? 0.6 * rand() * Math.exp(-beat / 300) : 0);
  }
  const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return out.map((v) => v / peak);
}

describe('speech conditions: sane mouths', () => {
  it('reference: at a normal level the mouth follows the speech', () => {
    expect(followsSpeech(normalJaw)).toBeGreaterThan(0.4);
    expect(sd(onSpeech(normalJaw))).toBeGreaterThan(0.04);
  });

  it('whispered speech (noise-vocoded, no voicing) still moves the mouth with the words', async () => {
    const j = await jaw(scaled(whisper(speech), 0.5));
    expect(followsSpeech(j)).toBeGreaterThan(0.3);
    expect(sd(onSpeech(j))).toBeGreaterThan(0.3 * sd(onSpeech(normalJaw)));
  });

  it('very quiet speech (−40 dB) moves the mouth, not a still face', async () => {
    const j = await jaw(scaled(speech, 0.01));
    expect(followsSpeech(j)).toBeGreaterThan(0.3);
    expect(sd(onSpeech(j))).toBeGreaterThan(0.3 * sd(onSpeech(normalJaw)));
  });

  it('shouting into clipping (+20 dB, hard-clipped) does not saturate the jaw', async () => {
    const j = await jaw(scaled(speech, 10));
    expect(followsSpeech(j)).toBeGreaterThan(0.3);
    const open = [...onSpeech(j)].sort((a, b) => a - b);
    expect(open[Math.floor(open.length * 0.95)]).toBeLessThan(0.7);
    expect(j.filter((v) => v > 0.9).length).toBe(0);
    // Closures between words survive: the mouth is not held open.
    expect(open[Math.floor(open.length * 0.1)]).toBeLessThan(0.15);
  });

  it('music under the speech (6 dB below it): the mouth still follows the words', async () => {
    const bed = music(speech.length);
    const mixed = speech.map((v, i) => v + 0.25 * (bed[i] as number));
    const j = await jaw(mixed);
    expect(followsSpeech(j)).toBeGreaterThan(0.3);
    expect(pearson(j, normalJaw)).toBeGreaterThan(0.5);
  });

  it('long silences between phrases: the mouth closes and stays closed, then opens again', async () => {
    const gap = SR * 6;
    const phrase = speech.subarray(0, SR * 3);
    const x = new Float32Array(phrase.length * 2 + gap);
    x.set(phrase, 0);
    const rand = seeded(11);
    // Digital silence for 3 s, then 3 s of a quiet room (−60 dBFS noise).
    for (let i = SR * 3; i < gap; i++) x[phrase.length + i] = 0.002 * rand();
    x.set(phrase, phrase.length + gap);
    const j = await jaw(x);
    const frameOf = (sample: number) => Math.round(sample / FRAME);
    // From 0.4 s into the gap to its end: closed (rest is ≈ 0.02).
    const silent = j.subarray(frameOf(phrase.length + 0.4 * SR), frameOf(phrase.length + gap));
    expect(Math.max(...silent)).toBeLessThan(0.08);
    const before = j.subarray(0, frameOf(phrase.length));
    const after = j.subarray(frameOf(phrase.length + gap));
    expect(Math.max(...before)).toBeGreaterThan(0.15);
    expect(Math.max(...after)).toBeGreaterThan(0.15);
  });
});
