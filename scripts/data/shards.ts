/**
 * Writes motion training shards (the format scripts/train/motion_data.py reads): per shard NNN,
 * `mel-NNN.npy` (mel frames × 80), `targets-NNN.npy` and `mask-NNN.npy` (video frames × 59,
 * MOTION_OUTPUTS order; mask 1 where the target is supervised), `rms-NNN.npy` (RMS of the
 * 40 ms around each video frame: the energy baseline's input) and `index-NNN.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MEL_BANDS, type MelFrames, writeNpy } from '../../src/features/index.ts';
import { MOTION_OUTPUT_COUNT } from '../../src/motion/index.ts';

const FRAME_SAMPLES = 640;

export interface ShardSession {
  mel: MelFrames;
  rms: Float32Array;
  targets: Float32Array;
  mask: Float32Array;
  frames: number;
  meta: Record<string, unknown>;
}

export class ShardWriter {
  readonly dir: string;
  readonly split: string;
  #sessions: ShardSession[] = [];
  #shardNo = 0;

  private constructor(dir: string, split: string) {
    this.dir = dir;
    this.split = split;
  }

  static async create(dir: string, split: string): Promise<ShardWriter> {
    await mkdir(dir, { recursive: true });
    return new ShardWriter(dir, split);
  }

  get shards(): number {
    return this.#shardNo;
  }

  add(session: ShardSession): void {
    this.#sessions.push(session);
  }

  async flush(): Promise<void> {
    if (this.#sessions.length === 0) return;
    const name = String(this.#shardNo).padStart(3, '0');
    let melFrames = 0;
    let frames = 0;
    const index = this.#sessions.map((s) => {
      const entry = {
        ...s.meta,
        melStart: melFrames,
        melFrames: s.mel.frames,
        frameStart: frames,
        frames: s.frames,
      };
      melFrames += s.mel.frames;
      frames += s.frames;
      return entry;
    });
    const cat = (pick: (s: ShardSession) => Float32Array) => concat(this.#sessions.map(pick));
    await writeNpy(join(this.dir, `mel-${name}.npy`), {
      data: cat((s) => s.mel.data),
      shape: [melFrames, MEL_BANDS],
    });
    await writeNpy(join(this.dir, `targets-${name}.npy`), {
      data: cat((s) => s.targets),
      shape: [frames, MOTION_OUTPUT_COUNT],
    });
    await writeNpy(join(this.dir, `mask-${name}.npy`), {
      data: cat((s) => s.mask),
      shape: [frames, MOTION_OUTPUT_COUNT],
    });
    await writeNpy(join(this.dir, `rms-${name}.npy`), { data: cat((s) => s.rms), shape: [frames] });
    await writeFile(
      join(this.dir, `index-${name}.json`),
      JSON.stringify({ split: this.split, sessions: index }),
    );
    this.#shardNo++;
    this.#sessions = [];
  }
}

/** RMS of the 40 ms around each video frame instant (frame i at i × 40 ms). */
export function frameRms(samples: Float32Array, frames: number): Float32Array {
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const from = Math.max(0, f * FRAME_SAMPLES - FRAME_SAMPLES / 2);
    const to = Math.min(samples.length, f * FRAME_SAMPLES + FRAME_SAMPLES / 2);
    let acc = 0;
    for (let i = from; i < to; i++) acc += (samples[i] as number) ** 2;
    out[f] = to > from ? Math.sqrt(acc / (to - from)) : 0;
  }
  return out;
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
