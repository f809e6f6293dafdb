import { readFile, writeFile } from 'node:fs/promises';

/**
 * Minimal `.npy` (NumPy format 1.0) reader and writer for little-endian float32 arrays:
 * the exchange format between the TypeScript feature extractor and the Python trainers.
 */
export interface NpyArray {
  data: Float32Array;
  shape: number[];
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new RangeError(
      `shape ${JSON.stringify(array.shape)} holds ${count} values, data has ${array.data.length}`,
    );
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

export function decodeNpy(bytes: Uint8Array): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error('not a .npy file');
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (descr !== '<f4')
    throw new Error(`only little-endian float32 .npy is supported, got ${descr}`);
  if (/'fortran_order':\s*True/.test(header))
    throw new Error('fortran-order .npy is not supported');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const start = headerStart + headerLength;
  const data = new Float32Array(
    buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length),
  );
  return { data, shape };
}

export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFile(path, encodeNpy(array));
}

export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await readFile(path));
}
