import { type FileHandle, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapsContract, type RenderMaps } from './maps.ts';

type Dtype = 'uint8' | 'float16' | 'float32';

/**
 * A `.npy` file (format 1.0) holding a stack of frames, written frame by frame: the header
 * carries the final frame count, so it must be known up front (a Controls file's length).
 */
export class NpyStackWriter {
  readonly #file: FileHandle;
  readonly #frameBytes: number;
  readonly #frames: number;
  #written = 0;
  #closed = false;

  private constructor(file: FileHandle, frameBytes: number, frames: number) {
    this.#file = file;
    this.#frameBytes = frameBytes;
    this.#frames = frames;
  }

  /** Creates `path` for `frames` arrays of `frameShape` (e.g. [H, W, 3]) of `dtype`. */
  static async open(
    path: string,
    dtype: Dtype,
    frameShape: number[],
    frames: number,
  ): Promise<NpyStackWriter> {
    const shape = [frames, ...frameShape];
    const descr = dtype === 'uint8' ? '|u1' : dtype === 'float16' ? '<f2' : '<f4';
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    const unpadded = 6 + 2 + 2 + header.length + 1;
    header += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(header.length, 8);
    const file = await open(path, 'w');
    await file.write(Buffer.concat([head, Buffer.from(header, 'latin1')]));
    const frameBytes =
      frameShape.reduce((a, b) => a * b, 1) * (dtype === 'uint8' ? 1 : dtype === 'float16' ? 2 : 4);
    return new NpyStackWriter(file, frameBytes, frames);
  }

  /** Appends one frame (its bytes are written before the promise resolves). */
  async write(data: Uint8Array | Uint16Array | Float32Array): Promise<void> {
    if (this.#closed) throw new Error('npy writer is closed');
    if (data.byteLength !== this.#frameBytes) {
      throw new RangeError(`frame has ${data.byteLength} bytes, expected ${this.#frameBytes}`);
    }
    if (this.#written >= this.#frames)
      throw new RangeError(`more than the ${this.#frames} frames declared`);
    await this.#file.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.#written++;
  }

  /** Closes the file; throws if fewer frames were written than declared. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#file.close();
    if (this.#written !== this.#frames) {
      throw new RangeError(`wrote ${this.#written} of the ${this.#frames} frames declared`);
    }
  }
}

type MapWriters = Record<
  'warped' | 'disocclusion' | 'coords' | 'labels' | 'composite',
  NpyStackWriter
>;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE half-precision bits of `value` (round to nearest even; NaN, ±Inf, subnormals kept).
 * Enough for coordinates in [0, 1]: 11 significant bits, error < 2.5e-4.
 */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (half + (rest > halfway || (rest === halfway && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/**
 * Writes the maps of a rendered sequence for a Python trainer: `warped.npy` (T, H, W, 3)
 * uint8, `disocclusion.npy` (T, H, W) uint8, `coords.npy` (T, H, W, 3) float16 (half the
 * size of the in-memory float32; error < 2.5e-4),
 * `labels.npy` (T, H, W) uint8, `composite.npy` (T, H, W, 3) uint8, and `maps.json` (the
 * contract: layout, dtypes, ranges, label ids). Read with `numpy.load(path, mmap_mode='r')`.
 */
export class MapsDumpWriter {
  readonly dir: string;
  readonly #writers: MapWriters;
  readonly #half: Uint16Array;

  private constructor(dir: string, writers: MapWriters, pixels: number) {
    this.dir = dir;
    this.#writers = writers;
    this.#half = new Uint16Array(pixels * 3);
  }

  static async open(
    dir: string,
    width: number,
    height: number,
    frames: number,
  ): Promise<MapsDumpWriter> {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'maps.json'),
      `${JSON.stringify(mapsContract(width, height, frames), null, 2)}\n`,
    );
    const at = (name: string) => join(dir, `${name}.npy`);
    const writers = {
      warped: await NpyStackWriter.open(at('warped'), 'uint8', [height, width, 3], frames),
      disocclusion: await NpyStackWriter.open(at('disocclusion'), 'uint8', [height, width], frames),
      coords: await NpyStackWriter.open(at('coords'), 'float16', [height, width, 3], frames),
      labels: await NpyStackWriter.open(at('labels'), 'uint8', [height, width], frames),
      composite: await NpyStackWriter.open(at('composite'), 'uint8', [height, width, 3], frames),
    };
    return new MapsDumpWriter(dir, writers, width * height);
  }

  async write(maps: RenderMaps, composite: Uint8Array): Promise<void> {
    const w = this.#writers;
    await w.warped.write(maps.warped);
    await w.disocclusion.write(maps.disocclusion);
    const half = this.#half;
    for (let i = 0; i < half.length; i++) half[i] = toFloat16Bits(maps.coords[i] as number);
    await w.coords.write(half);
    await w.labels.write(maps.labels);
    await w.composite.write(composite);
  }

  /** Closes every file (idempotent); throws if a stack is short of frames. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(Object.values(this.#writers).map((w) => w.close()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
