/**
 * Motion training shards read back in TypeScript (the format of scripts/data/shards.ts), and the
 * small statistics scripts/train/eval-motion.ts computes on them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readNpy } from '../../src/features/index.ts';
import {
  lipAperture,
  MOTION_OUTPUT_COUNT,
  type MotionCore,
  pearson,
} from '../../src/motion/index.ts';

const C = MOTION_OUTPUT_COUNT;

export interface Session {
  meta: Record<string, unknown> & {
    frames: number;
    kind?: string;
    phonemes?: { phoneme: string; startMs: number; endMs: number }[];
  };
  mel: Float32Array;
  targets: Float32Array;
  mask: Float32Array;
  rms: Float32Array;
}

export async function loadShards(dir: string): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let n = 0; ; n++) {
    const name = String(n).padStart(3, '0');
    let index: { sessions: Session['meta'][] };
    try {
      index = JSON.parse(await readFile(join(dir, `index-${name}.json`), 'utf8'));
    } catch {
      break;
    }
    const mel = (await readNpy(join(dir, `mel-${name}.npy`))).data;
    const targets = (await readNpy(join(dir, `targets-${name}.npy`))).data;
    const mask = (await readNpy(join(dir, `mask-${name}.npy`))).data;
    const rms = (await readNpy(join(dir, `rms-${name}.npy`))).data;
    for (const s of index.sessions) {
      const m = s as unknown as {
        melStart: number;
        melFrames: number;
        frameStart: number;
        frames: number;
      };
      sessions.push({
        meta: s,
        mel: mel.subarray(m.melStart * 80, (m.melStart + m.melFrames) * 80),
        targets: targets.subarray(m.frameStart * C, (m.frameStart + m.frames) * C),
        mask: mask.subarray(m.frameStart * C, (m.frameStart + m.frames) * C),
        rms: rms.subarray(m.frameStart, m.frameStart + m.frames),
      });
    }
  }
  return sessions;
}

/** The model's raw rows (frames × 59) for a session's mel, through the TypeScript runtime. */
export async function predict(core: MotionCore, s: Session): Promise<Float32Array> {
  const a = await core.process(s.mel);
  const b = await core.flush();
  const all = new Float32Array(a.data.length + b.data.length);
  all.set(a.data, 0);
  all.set(b.data, a.data.length);
  return all.subarray(0, s.meta.frames * C);
}

export const column = (rows: Float32Array, c: number, frames: number) =>
  Float32Array.from({ length: frames }, (_, f) => rows[f * C + c] as number);
export const apertures = (rows: Float32Array, frames: number) =>
  Float32Array.from({ length: frames }, (_, f) => lipAperture(rows, f * C));
export const cat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
/** Best correlation of `x` shifted by −2…+2 frames with `y` (the energy baseline's best case). */
export function bestLag(x: Float32Array, y: Float32Array): number {
  let best = -1;
  for (let lag = -2; lag <= 2; lag++) {
    const a = x.subarray(Math.max(0, lag), x.length + Math.min(0, lag));
    const b = y.subarray(Math.max(0, -lag), y.length - Math.max(0, lag));
    best = Math.max(best, pearson(a, b));
  }
  return best;
}
export const r3 = (v: number) => Number(v.toFixed(3));

export function mae(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s / a.length;
}
/** Least-squares a·x + b fitted to y (gives the energy baseline the best possible scale). */
export function fitLinear(x: Float32Array, y: Float32Array): Float32Array {
  const { a, b } = fitCoefficients(x, y);
  return x.map((v) => a * v + b);
}

export function fitCoefficients(x: Float32Array, y: Float32Array): { a: number; b: number } {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i] as number;
    sy += y[i] as number;
    sxx += (x[i] as number) ** 2;
    sxy += (x[i] as number) * (y[i] as number);
  }
  const a = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { a, b: (sy - a * sx) / n };
}
