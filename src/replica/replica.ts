import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARKIT_BLENDSHAPES } from '../controls/index.ts';
import { TrackStore } from '../dub/index.ts';
import { FACE_VERTEX_COUNT, type FacePose } from '../face/index.ts';
import { MouthBank } from '../mouthbank/index.ts';
import { ReplicaError } from './errors.ts';
import { FrameStore } from './frames.ts';
import {
  IDENTITIES_FILE,
  type ReplicaManifest,
  readReplicaManifest,
  THUMBS_FILE,
  TRACK_FILE,
} from './manifest.ts';
import type { PlanInput } from './plan.ts';

/** The tracked face of one stored frame (copies). */
export interface ReplicaFace {
  weights: Float32Array;
  pose: FacePose;
  /** 468 × (x, y), stored-frame px. */
  landmarks: Float32Array;
  identity: Float32Array;
}

const THUMB_BYTES = 256;
const IDENTITY_FLOATS = FACE_VERTEX_COUNT * 3;

/**
 * A loaded video avatar: its manifest, its stored frames (read on demand), every usable
 * frame's tracked face (in memory, ~4 KB a frame), per-shot neutrals, thumbnails and the
 * mouth bank. What playback (a video, a live session) reads; nothing is tracked again.
 *
 * @example
 * const replica = await Replica.load('avatars/me');
 * const rgb = await replica.frames.read(replica.manifest.playback[0]);
 */
export class Replica {
  readonly dir: string;
  readonly manifest: ReplicaManifest;
  readonly frames: FrameStore;
  readonly bank: MouthBank | undefined;
  readonly #faces: (ReplicaFace | undefined)[];
  readonly #thumbs: Uint8Array;

  private constructor(
    dir: string,
    manifest: ReplicaManifest,
    frames: FrameStore,
    faces: (ReplicaFace | undefined)[],
    thumbs: Uint8Array,
    bank: MouthBank | undefined,
  ) {
    this.dir = dir;
    this.manifest = manifest;
    this.frames = frames;
    this.#faces = faces;
    this.#thumbs = thumbs;
    this.bank = bank;
  }

  /**
   * Loads `dir` (REPLICA_CORRUPT when a file is missing or inconsistent). `mouthBank: false`
   * leaves {@link Replica.bank} unloaded (a player whose reanimator thread loads its own:
   * ~20 ms and the bank's memory saved here). Default true.
   */
  static async load(dir: string, options: { mouthBank?: boolean } = {}): Promise<Replica> {
    const manifest = await readReplicaManifest(dir);
    const stored = manifest.footage.storedFrames;
    const identities = await readExact(join(dir, IDENTITIES_FILE));
    const shots = Math.max(0, ...manifest.shots) + 1;
    if (identities.length !== shots * IDENTITY_FLOATS * 4) {
      throw new ReplicaError(
        'REPLICA_CORRUPT',
        `${dir}: ${IDENTITIES_FILE} does not hold ${shots} shots`,
      );
    }
    const neutral = new Float32Array(
      identities.buffer,
      identities.byteOffset,
      shots * IDENTITY_FLOATS,
    );
    const thumbs = await readExact(join(dir, THUMBS_FILE));
    if (thumbs.length !== stored * THUMB_BYTES) {
      throw new ReplicaError(
        'REPLICA_CORRUPT',
        `${dir}: ${THUMBS_FILE} does not hold ${stored} thumbnails`,
      );
    }
    const faces: (ReplicaFace | undefined)[] = [];
    const track = await TrackStore.open(join(dir, TRACK_FILE));
    try {
      for (let i = 0; i < stored; i++) {
        if (!manifest.usable[i]) {
          faces.push(undefined);
          continue;
        }
        const record = await track.read(i);
        const shot = manifest.shots[i] as number;
        faces.push({
          weights: Float32Array.from(record.weights),
          pose: { ...record.pose },
          landmarks: Float32Array.from(record.landmarks),
          identity: neutral.subarray(shot * IDENTITY_FLOATS, (shot + 1) * IDENTITY_FLOATS),
        });
      }
    } finally {
      await track.close({ keep: true });
    }
    const frames = await FrameStore.open(dir, {
      width: manifest.footage.width,
      height: manifest.footage.height,
      frames: stored,
    });
    const bank =
      manifest.mouthBank && (options.mouthBank ?? true)
        ? await MouthBank.load(dir).catch((cause: unknown) => {
            throw new ReplicaError('REPLICA_CORRUPT', `${dir}: the mouth bank cannot be read`, {
              cause,
            });
          })
        : undefined;
    return new Replica(dir, manifest, frames, faces, new Uint8Array(thumbs), bank);
  }

  /** The tracked face of stored frame `index`, or undefined when it is not usable. */
  face(index: number): ReplicaFace | undefined {
    return this.#faces[index];
  }

  /** What the playback planner compares, per 25 fps playback frame. */
  planInput(): PlanInput {
    const m = this.manifest;
    const features = m.playback.map((s) => {
      const face = this.#faces[s];
      return face ? faceFeatures(face) : undefined;
    });
    const thumbs = m.playback.map((s) =>
      Float32Array.from(this.#thumbs.subarray(s * THUMB_BYTES, (s + 1) * THUMB_BYTES)),
    );
    const continues = new Uint8Array(m.playback.length);
    for (let j = 0; j + 1 < m.playback.length; j++) {
      const a = m.playback[j] as number;
      const b = m.playback[j + 1] as number;
      continues[j] = b >= a && b - a <= 2 && m.shots[a] === m.shots[b] ? 1 : 0;
    }
    return { features, thumbs, continues };
  }

  async close(): Promise<void> {
    await this.frames.close();
  }
}

const W = (name: (typeof ARKIT_BLENDSHAPES)[number]) => ARKIT_BLENDSHAPES.indexOf(name);
/** Shapes compared at joins and the weight difference worth one unit. */
const COMPARED: [number, number][] = [
  [W('eyeBlinkLeft'), 0.25],
  [W('eyeBlinkRight'), 0.25],
  [W('browInnerUp'), 0.25],
  [W('browDownLeft'), 0.25],
  [W('browDownRight'), 0.25],
  [W('mouthSmileLeft'), 0.3],
  [W('mouthSmileRight'), 0.3],
  [W('jawOpen'), 0.5],
];
/** Head angle worth one unit (2°), and translation (3 mm) and scale (2 %). */
const ANGLE_UNIT = (2 * Math.PI) / 180;
const SHIFT_UNIT_CM = 0.3;
const SCALE_UNIT = 0.02;

/** Pose and expression features of one tracked face, 1 ≈ a just-visible difference. */
export function faceFeatures(face: ReplicaFace): Float32Array {
  const p = face.pose;
  const out = new Float32Array(6 + COMPARED.length);
  out[0] = p.yaw / ANGLE_UNIT;
  out[1] = p.pitch / ANGLE_UNIT;
  out[2] = p.roll / ANGLE_UNIT;
  out[3] = p.txPx / p.pxPerCm / SHIFT_UNIT_CM;
  out[4] = p.tyPx / p.pxPerCm / SHIFT_UNIT_CM;
  out[5] = Math.log(p.pxPerCm) / SCALE_UNIT;
  COMPARED.forEach(([k, unit], i) => {
    out[6 + i] = (face.weights[k] as number) / unit;
  });
  return out;
}

async function readExact(path: string): Promise<Buffer> {
  return readFile(path).catch((cause: unknown) => {
    throw new ReplicaError('REPLICA_CORRUPT', `${path} is missing`, { cause });
  });
}
