/**
 * Audio augmentation for the motion training speech (synthetic and real), so the model hears
 * more than a few clean recordings: speed/pitch change (resampling; times scale with it),
 * telephone band-limiting, spectral tilt, reverb (Schroeder/Freeverb-style network), additive
 * noise (white, pink, brown, mains hum, reversed babble) or music under the speech at a random
 * SNR, a lossy codec round trip (Opus, MP3, AMR), and gain with quiet (whisper-level) and
 * clipped (shouted) extremes. Every choice comes from the caller's seeded RNG.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeAudioFile, encodeWav, resample } from '../../src/audio/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';

type Rng = () => number;
const SR = 16_000;

export interface AugmentLog {
  speed: number;
  telephone: boolean;
  tilt: number;
  reverbWet: number;
  /** 'none', a noise colour, 'babble' or 'music'. */
  noise: string;
  snrDb: number;
  codec: string;
  gainDb: number;
}

/** What {@link augmentSpeech} is given besides the signal. */
export interface AugmentContext {
  /** The signal is music or noise alone (no speech): always gets a bed of noise. */
  nonSpeech: boolean;
  /** Keep it clean (speed 1, no effects, −3 dBFS peak). */
  clean: boolean;
  /** Recent speech for reversed-babble noise (may be empty). */
  babble: Float32Array;
}

/**
 * One random augmentation chain. Returns the new signal and `times`: the factor by which every
 * time in it is scaled (speed change), so labels can follow.
 */
export async function augmentSpeech(
  x: Float32Array,
  rng: Rng,
  context: AugmentContext,
): Promise<{ samples: Float32Array; times: number; log: AugmentLog }> {
  const { clean, nonSpeech } = context;
  const log: AugmentLog = {
    speed: 1,
    telephone: false,
    tilt: 0,
    reverbWet: 0,
    noise: 'none',
    snrDb: 0,
    codec: 'none',
    gainDb: -3,
  };
  let y = x;
  if (!clean && rng() < 0.5) {
    log.speed = 0.88 + rng() * 0.24;
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
    log.reverbWet = 0.1 + rng() * 0.3;
    y = reverb(y, log.reverbWet, 0.5 + rng() * 0.8, rng);
  }
  if (nonSpeech || (!clean && rng() < 0.75)) y = addBackground(y, rng, context, log);
  if (!clean && rng() < 0.25) {
    log.codec = CODECS[Math.floor(rng() * CODECS.length)] as string;
    y = await codecRoundTrip(y, log.codec);
  }
  log.gainDb = clean ? -3 : randomGainDb(rng);
  y = applyGain(y, log.gainDb);
  return { samples: y, times: log.speed, log };
}

/** Peak level: mostly −26…−1 dBFS, 10 % whisper-quiet (−45…−30), 8 % shouted into clipping. */
function randomGainDb(rng: Rng): number {
  const r = rng();
  if (r < 0.1) return -45 + rng() * 15;
  if (r < 0.18) return 2 + rng() * 10;
  return -26 + rng() * 25;
}

function addBackground(y: Float32Array, rng: Rng, context: AugmentContext, log: AugmentLog) {
  const kinds = ['white', 'pink', 'brown', 'hum', 'babble', 'music'];
  log.noise = kinds[Math.floor(rng() * kinds.length)] as string;
  if (log.noise === 'babble' && context.babble.length === 0) log.noise = 'pink';
  log.snrDb = context.nonSpeech ? 0 : log.noise === 'music' ? 0 + rng() * 20 : 5 + rng() * 30;
  const noise =
    log.noise === 'music'
      ? normalise(makeMusic(rng, y.length / SR))
      : makeNoise(log.noise, y.length, rng, context.babble);
  if (context.nonSpeech && isSilent(y)) return noise.map((v) => v * 0.05);
  return addNoise(y, noise, log.snrDb);
}

const CODECS = ['opus-16k', 'opus-32k', 'mp3-32k', 'amr-nb'];
const CODEC_ARGS: Record<string, { ext: string; args: string[] }> = {
  'opus-16k': { ext: 'ogg', args: ['-c:a', 'libopus', '-b:a', '16k'] },
  'opus-32k': { ext: 'ogg', args: ['-c:a', 'libopus', '-b:a', '32k'] },
  'mp3-32k': { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '32k'] },
  'amr-nb': { ext: 'amr', args: ['-ar', '8000', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k'] },
};
const run = promisify(execFile);

/** Encodes with a lossy speech codec and decodes back (same length, 16 kHz). */
export async function codecRoundTrip(x: Float32Array, codec: string): Promise<Float32Array> {
  const spec = CODEC_ARGS[codec];
  if (!spec) throw new Error(`unknown codec ${codec}`);
  const dir = await mkdtemp(join(tmpdir(), 'facecast-codec-'));
  try {
    const wav = join(dir, 'in.wav');
    const coded = join(dir, `out.${spec.ext}`);
    await writeFile(wav, encodeWav(applyGain(x, -1), SR));
    await run(locateFfmpeg().ffmpegPath, ['-v', 'error', '-y', '-i', wav, ...spec.args, coded]);
    const back = (await decodeAudioFile(coded)).samples;
    const out = new Float32Array(x.length);
    out.set(back.subarray(0, x.length));
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Synthetic music: 2–4 harmonic voices on a pentatonic scale plus noise-burst percussion. */
export function makeMusic(rng: Rng, seconds: number): Float32Array {
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

function normalise(x: Float32Array): Float32Array {
  const r = rms(x);
  return r > 0 ? x.map((v) => v / r) : x;
}

function isSilent(x: Float32Array): boolean {
  for (const v of x) if (v !== 0) return false;
  return true;
}

/**
 * Changes speed and pitch together by `factor` (> 1: slower and lower). Returns the new signal;
 * times in it are the old times × `factor`.
 */
export function speedChange(x: Float32Array, factor: number): Float32Array {
  if (Math.abs(factor - 1) < 1e-3) return x;
  return resample(x, SR, Math.round(SR * factor));
}

/** Telephone band: down to 8 kHz and back (loses 4–8 kHz), plus a 300 Hz high-pass. */
export function telephone(x: Float32Array): Float32Array {
  const y = resample(resample(x, SR, 8000), 8000, SR);
  return onePoleHighpass(y.subarray(0, x.length), 300);
}

/** Spectral tilt: mixes a one-pole low-pass (tilt < 0: darker) or high-pass (tilt > 0: brighter). */
export function applyTilt(x: Float32Array, tilt: number): Float32Array {
  const filtered = tilt < 0 ? onePoleLowpass(x, 1500) : onePoleHighpass(x, 1200);
  const a = Math.abs(tilt);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++)
    out[i] = (1 - a) * (x[i] as number) + a * (filtered[i] as number) * 1.5;
  return out;
}

/** Freeverb-style reverb: 4 parallel damped combs + 2 all-passes; `size` scales the delays. */
export function reverb(x: Float32Array, wet: number, size: number, rng: Rng): Float32Array {
  const combDelays = [1116, 1188, 1277, 1356].map((d) =>
    Math.round(((d * SR) / 44100) * size * (0.9 + 0.2 * rng())),
  );
  const allpassDelays = [556, 441].map((d) => Math.round((d * SR) / 44100));
  const feedback = 0.7 + 0.12 * size;
  const damp = 0.3;
  const tail = Math.round(SR * 0.4);
  const y = new Float32Array(x.length + tail);
  for (const delay of combDelays) {
    const buf = new Float32Array(delay);
    let idx = 0;
    let store = 0;
    for (let i = 0; i < y.length; i++) {
      const out = buf[idx] as number;
      store = out * (1 - damp) + store * damp;
      buf[idx] = (i < x.length ? (x[i] as number) : 0) + store * feedback;
      idx = (idx + 1) % delay;
      y[i] = (y[i] as number) + out / combDelays.length;
    }
  }
  for (const delay of allpassDelays) {
    const buf = new Float32Array(delay);
    let idx = 0;
    for (let i = 0; i < y.length; i++) {
      const b = buf[idx] as number;
      const input = y[i] as number;
      y[i] = -input + b;
      buf[idx] = input + b * 0.5;
      idx = (idx + 1) % delay;
    }
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++)
    out[i] = (1 - wet) * (x[i] as number) + wet * 2 * (y[i] as number);
  return out;
}

/** Noise of a given colour and length, unit RMS. `babble` is reversed speech from `speech`. */
export function makeNoise(
  kind: string,
  length: number,
  rng: Rng,
  speech?: Float32Array,
): Float32Array {
  const n = new Float32Array(length);
  if (kind === 'babble' && speech && speech.length > 0) {
    const start = Math.floor(rng() * speech.length);
    for (let i = 0; i < length; i++)
      n[i] = speech[speech.length - 1 - ((start + i) % speech.length)] as number;
  } else if (kind === 'hum') {
    const f0 = rng() < 0.5 ? 50 : 60;
    for (let i = 0; i < length; i++) {
      let v = 0;
      for (let h = 1; h <= 5; h++) v += Math.sin((2 * Math.PI * f0 * h * i) / SR) / h;
      n[i] = v + 0.2 * gaussian(rng);
    }
  } else {
    // white, pink (Paul Kellet's filter), brown (integrated white)
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let brown = 0;
    for (let i = 0; i < length; i++) {
      const w = gaussian(rng);
      if (kind === 'pink') {
        b0 = 0.99765 * b0 + w * 0.099046;
        b1 = 0.963 * b1 + w * 0.2965164;
        b2 = 0.57 * b2 + w * 1.0526913;
        n[i] = b0 + b1 + b2 + w * 0.1848;
      } else if (kind === 'brown') {
        brown = 0.998 * brown + w * 0.05;
        n[i] = brown;
      } else n[i] = w;
    }
  }
  const r = rms(n);
  if (r > 0) for (let i = 0; i < length; i++) n[i] = (n[i] as number) / r;
  return n;
}

/** Adds `noise` so that the speech-active RMS of `x` is `snrDb` above it. */
export function addNoise(x: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  const level = activeRms(x) / 10 ** (snrDb / 20);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) + level * (noise[i] as number);
  return out;
}

/** Scales to a peak of `10^(gainDb/20)` and hard-clips at ±1. */
export function applyGain(x: Float32Array, gainDb: number): Float32Array {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  const g = peak > 0 ? 10 ** (gainDb / 20) / peak : 1;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-1, Math.min(1, (x[i] as number) * g));
  return out;
}

/** RMS over the loudest half of 20 ms blocks (speech level, not pause level). */
export function activeRms(x: Float32Array): number {
  const block = 320;
  const levels: number[] = [];
  for (let i = 0; i + block <= x.length; i += block) levels.push(rms(x.subarray(i, i + block)));
  if (levels.length === 0) return rms(x);
  levels.sort((a, b) => b - a);
  const top = levels.slice(0, Math.max(1, Math.floor(levels.length / 2)));
  return Math.sqrt(top.reduce((s, v) => s + v * v, 0) / top.length);
}

export function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return x.length ? Math.sqrt(s / x.length) : 0;
}

export function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function onePoleLowpass(x: Float32Array, cutoffHz: number): Float32Array {
  const a = Math.exp((-2 * Math.PI * cutoffHz) / SR);
  const y = new Float32Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s = (1 - a) * (x[i] as number) + a * s;
    y[i] = s;
  }
  return y;
}

function onePoleHighpass(x: Float32Array, cutoffHz: number): Float32Array {
  const low = onePoleLowpass(x, cutoffHz);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = (x[i] as number) - (low[i] as number);
  return y;
}
