import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ReplicaError } from './errors.ts';

/** The manifest of a video-avatar folder; its presence marks the folder as one. */
export const REPLICA_MANIFEST_FILE = 'replica.json';
/** Per stored frame tracking records (src/dub track file layout) and per-shot neutrals. */
export const TRACK_FILE = 'track.bin';
export const IDENTITIES_FILE = 'identities.bin';
/** A 16 × 16 grey thumbnail per stored frame (what playback joins compare). */
export const THUMBS_FILE = 'thumbs.bin';

/** Playback rate of every video avatar, fps (the Controls rate). */
export const REPLICA_FPS = 25;

const count = z.number().int().nonnegative();

/**
 * `replica.json`: what playback needs to know about the footage. Frames are stored once
 * (`frames.jpg.bin` + `frames.idx`, at most 512 px on the long side), tracked once
 * (`track.bin`: 52 weights, pose and 468 landmarks per usable stored frame, in stored-frame
 * px; `identities.bin`: each shot's calibrated neutral), and mapped to a 25 fps clock here.
 */
export const replicaManifestSchema = z
  .object({
    format: z.literal('facecast.replica'),
    version: z.literal(1),
    createdAt: z.iso.datetime(),
    source: z
      .object({
        /** The file's name (not its path). */
        name: z.string(),
        width: count,
        height: count,
        /** Constant source rate, fps. */
        fps: z.number().positive(),
        durationMs: z.number().nonnegative(),
      })
      .strict(),
    footage: z
      .object({
        /** Stored frame size, px (even). */
        width: count,
        height: count,
        /** Stored (decoded) frames. */
        storedFrames: count,
        /** Playback frames at 25 fps covering the footage once. */
        frames: count,
      })
      .strict(),
    /** Stored frame shown at each 25 fps playback frame. */
    playback: z.array(count),
    /** Per stored frame: 1 when its face is tracked and can be re-animated. */
    usable: z.array(z.union([z.literal(0), z.literal(1)])),
    /** Per stored frame: its shot (a cut starts a new one); indexes `identities.bin`. */
    shots: z.array(count),
    /** Stored frames where a cut starts a new shot. */
    cuts: z.array(count),
    /** Frame counts per status (src/dub FRAME_STATUSES), for the record. */
    statusCounts: z.record(z.string(), count),
    /** The mouth bank of the footage (src/mouthbank), or null when no frame opened the mouth. */
    mouthBank: z.string().nullable(),
  })
  .strict()
  .refine((m) => m.playback.length === m.footage.frames, 'playback must list every frame')
  .refine(
    (m) => m.usable.length === m.footage.storedFrames && m.shots.length === m.footage.storedFrames,
    'usable and shots must list every stored frame',
  )
  .refine(
    (m) => m.playback.every((i) => i < m.footage.storedFrames),
    'playback index out of range',
  );
export type ReplicaManifest = z.infer<typeof replicaManifestSchema>;

/** Reads and validates `<dir>/replica.json` (REPLICA_CORRUPT when invalid). */
export async function readReplicaManifest(dir: string): Promise<ReplicaManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, REPLICA_MANIFEST_FILE), 'utf8'));
  } catch (cause) {
    throw new ReplicaError('REPLICA_CORRUPT', `${dir} has no readable ${REPLICA_MANIFEST_FILE}`, {
      cause,
    });
  }
  const parsed = replicaManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReplicaError(
      'REPLICA_CORRUPT',
      `${dir}/${REPLICA_MANIFEST_FILE}: ${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export async function writeReplicaManifest(dir: string, manifest: ReplicaManifest): Promise<void> {
  await writeFile(join(dir, REPLICA_MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
}

/** Whether `dir` is a video-avatar folder (it has a `replica.json`). */
export async function isReplicaDir(dir: string): Promise<boolean> {
  return stat(join(dir, REPLICA_MANIFEST_FILE)).then(
    (info) => info.isFile(),
    () => false,
  );
}
