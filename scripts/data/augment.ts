/**
 * Audio augmentation for the synthetic training speech, so the model hears more than espeak's
 * clean formant timbre: speed/pitch change (resampling; phoneme times scale with it), telephone
 * band-limiting, spectral tilt, reverb (Schroeder/Freeverb-style network), additive noise
 * (white, pink, brown, mains hum, reversed babble) at a random SNR, and gain with occasional
 * clipping. Every choice comes from the caller's seeded RNG.
 */
import { resample } from '../../src/audio/index.ts';

type Rng = () => number;
const SR = 16_000;

export interface AugmentLog {
  speed: number;
  telephone: boolean;
  tilt: number;
  reverbWet: number;
  noise: string;
  snrDb: number;
  gainDb: number;
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
