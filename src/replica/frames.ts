import { type FileHandle, open, readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ReplicaError } from './errors.ts';

/** File names of the footage inside a video-avatar folder. */
export const FRAMES_FILE = 'frames.jpg.bin';
export const FRAMES_INDEX_FILE = 'frames.idx';

/** JPEG quality of stored footage frames (visually lossless at talking-head sizes). */
const JPEG_QUALITY = 90;

/**
 * Writes footage frames as JPEGs appended to one file, with an index of their byte lengths:
 * random access by frame number for playback (motion-graph jumps, blends, live), bounded
 * disk (~30–60 KB a 512² frame) and a few ms to decode a frame.
 */
export class FrameStoreWriter {
  readonly #dir: string;
  readonly #file: FileHandle;
  readonly #lengths: number[] = [];
  #offset = 0;

  private constructor(dir: string, file: FileHandle) {
    this.#dir = dir;
    this.#file = file;
  }

  static async create(dir: string): Promise<FrameStoreWriter> {
    return new FrameStoreWriter(dir, await open(`${dir}/${FRAMES_FILE}`, 'w'));
  }

  get frames(): number {
    return this.#lengths.length;
  }

  /** Appends one RGB frame. */
  async append(rgb: Uint8Array, width: number, height: number): Promise<void> {
    const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: JPEG_QUALITY })
      .toBuffer();
    await this.#file.write(jpeg, 0, jpeg.length, this.#offset);
    this.#offset += jpeg.length;
    this.#lengths.push(jpeg.length);
  }

  /** Writes the index and closes the file. */
  async finish(): Promise<void> {
    await this.#file.close();
    await writeFile(
      `${this.#dir}/${FRAMES_INDEX_FILE}`,
      Buffer.from(Uint32Array.from(this.#lengths).buffer),
    );
  }

  /** Closes without an index (creation failed). Idempotent. */
  async abort(): Promise<void> {
    await this.#file.close().catch(() => undefined);
  }
}

/** Reads stored footage frames by number (RGB, the footage's size). */
export class FrameStore {
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly #file: FileHandle;
  readonly #offsets: Float64Array;
  readonly #lengths: Uint32Array;

  private constructor(
    file: FileHandle,
    lengths: Uint32Array,
    size: { width: number; height: number },
  ) {
    this.#file = file;
    this.#lengths = lengths;
    this.#offsets = new Float64Array(lengths.length);
    let offset = 0;
    lengths.forEach((n, i) => {
      this.#offsets[i] = offset;
      offset += n;
    });
    this.frames = lengths.length;
    this.width = size.width;
    this.height = size.height;
  }

  static async open(
    dir: string,
    size: { width: number; height: number; frames: number },
  ): Promise<FrameStore> {
    const bytes = await readFile(`${dir}/${FRAMES_INDEX_FILE}`).catch((cause: unknown) => {
      throw new ReplicaError('REPLICA_CORRUPT', `${dir} has no ${FRAMES_INDEX_FILE}`, { cause });
    });
    const lengths = new Uint32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    if (lengths.length !== size.frames) {
      throw new ReplicaError(
        'REPLICA_CORRUPT',
        `${dir}: the frame index lists ${lengths.length} frames, the manifest ${size.frames}`,
      );
    }
    const file = await open(`${dir}/${FRAMES_FILE}`, 'r').catch((cause: unknown) => {
      throw new ReplicaError('REPLICA_CORRUPT', `${dir} has no ${FRAMES_FILE}`, { cause });
    });
    return new FrameStore(file, lengths, size);
  }

  /** Frame `index` as RGB, width × height × 3 (a fresh buffer). */
  async read(index: number): Promise<Uint8Array> {
    const length = this.#lengths[index];
    if (length === undefined) throw new RangeError(`footage frame ${index} does not exist`);
    const jpeg = Buffer.alloc(length);
    const { bytesRead } = await this.#file.read(jpeg, 0, length, this.#offsets[index]);
    if (bytesRead !== length) {
      throw new ReplicaError('REPLICA_CORRUPT', `footage frame ${index} is truncated`);
    }
    // Stored frames are 3-channel JPEGs (FrameStoreWriter): no alpha to remove (a quarter of
    // the decode's time at 512²).
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    if (info.width !== this.width || info.height !== this.height || info.channels !== 3) {
      throw new ReplicaError(
        'REPLICA_CORRUPT',
        `footage frame ${index} has the wrong size or channels`,
      );
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  async close(): Promise<void> {
    await this.#file.close().catch(() => undefined);
  }
}
