import { type FileHandle, open, rm } from 'node:fs/promises';
import { BLENDSHAPE_COUNT } from '../controls/index.ts';
import { FACE_VERTEX_COUNT, type FacePose } from '../face/index.ts';
import { DubError } from './errors.ts';

/** Floats per record: 52 weights, 6 pose values, 468 × (x, y) landmarks. */
const POSE_FLOATS = 6;
const LANDMARK_FLOATS = FACE_VERTEX_COUNT * 2;
const RECORD_FLOATS = BLENDSHAPE_COUNT + POSE_FLOATS + LANDMARK_FLOATS;
/** Bytes of one record in the track file. */
export const TRACK_RECORD_BYTES = RECORD_FLOATS * 4;

/** The tracked face of one source frame, in tracking-frame pixels. */
export interface TrackRecord {
  /** The 52 fitted weights (raw, unsmoothed), ARKit order. */
  weights: Float32Array;
  /** The fitted weak-perspective pose, tracking-frame px. */
  pose: FacePose;
  /** The 468 mesh landmarks, x/y in tracking-frame px. */
  landmarks: Float32Array;
}

/**
 * Per-frame tracking results on disk: fixed-size float32 records by source frame index, so
 * the second pass can read any frame (loops, ping-pong) while memory stays at one record
 * whatever the video's length (~4 KB per frame on disk). Records are written once, in any
 * order; `read` returns views into a buffer reused by the next call.
 */
export class TrackStore {
  readonly path: string;
  readonly #file: FileHandle;
  readonly #buffer = new Float32Array(RECORD_FLOATS);
  readonly #bytes = new Uint8Array(this.#buffer.buffer);
  /** Writes have their own buffer: the dub's pass 2 reads while pass 1 still writes. */
  readonly #writeBuffer = new Float32Array(RECORD_FLOATS);
  readonly #writeBytes = new Uint8Array(this.#writeBuffer.buffer);
  #written = 0;
  #closed = false;

  private constructor(path: string, file: FileHandle) {
    this.path = path;
    this.#file = file;
  }

  /** Creates (truncates) the track file at `path`. */
  static async create(path: string): Promise<TrackStore> {
    return new TrackStore(path, await open(path, 'w+'));
  }

  /** Opens an existing track file to read (a video avatar's `track.bin`). */
  static async open(path: string): Promise<TrackStore> {
    const file = await open(path, 'r').catch((cause: unknown) => {
      throw new DubError('DUB_TRACK_CORRUPT', `cannot open the track file ${path}`, { cause });
    });
    return new TrackStore(path, file);
  }

  /** Records written so far. */
  get records(): number {
    return this.#written;
  }

  /** Stores frame `index`'s record. */
  async write(index: number, record: TrackRecord): Promise<void> {
    this.#check();
    const b = this.#writeBuffer;
    b.set(record.weights, 0);
    const p = record.pose;
    b.set([p.pitch, p.yaw, p.roll, p.pxPerCm, p.txPx, p.tyPx], BLENDSHAPE_COUNT);
    b.set(record.landmarks.subarray(0, LANDMARK_FLOATS), BLENDSHAPE_COUNT + POSE_FLOATS);
    await this.#file.write(this.#writeBytes, 0, TRACK_RECORD_BYTES, index * TRACK_RECORD_BYTES);
    this.#written++;
  }

  /** Reads frame `index`'s record (views valid until the next call). */
  async read(index: number): Promise<TrackRecord> {
    this.#check();
    const { bytesRead } = await this.#file.read(
      this.#bytes,
      0,
      TRACK_RECORD_BYTES,
      index * TRACK_RECORD_BYTES,
    );
    if (bytesRead !== TRACK_RECORD_BYTES) {
      throw new DubError('DUB_TRACK_CORRUPT', `track record ${index} is missing from ${this.path}`);
    }
    const b = this.#buffer;
    const p = (i: number) => b[BLENDSHAPE_COUNT + i] as number;
    return {
      weights: b.subarray(0, BLENDSHAPE_COUNT),
      pose: { pitch: p(0), yaw: p(1), roll: p(2), pxPerCm: p(3), txPx: p(4), tyPx: p(5) },
      landmarks: b.subarray(BLENDSHAPE_COUNT + POSE_FLOATS),
    };
  }

  /**
   * Closes the file and deletes it (a scratch file), unless `keep` (a video avatar's track,
   * or a file opened to read). Idempotent.
   */
  async close(options: { keep?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#file.close().catch(() => undefined);
    if (!options.keep) await rm(this.path, { force: true });
  }

  #check(): void {
    if (this.#closed) throw new DubError('DUB_TRACK_CORRUPT', 'the track store is closed');
  }
}
