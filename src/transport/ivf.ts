import { TransportError } from './errors.ts';

/** One compressed frame read from an IVF stream. */
export interface IvfFrame {
  /** Presentation timestamp in the stream's time base (ffmpeg: the input frame number). */
  pts: number;
  data: Uint8Array;
}

const FILE_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 12;
/** A VP8 frame of a 4K intra picture stays far below this; anything bigger is corrupt. */
const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * Incremental IVF demuxer (the container ffmpeg writes with `-f ivf`): feed stdout chunks
 * of any size, get every complete frame. Pure: no I/O, no timers.
 *
 * @example
 * const ivf = new IvfParser();
 * for (const frame of ivf.process(chunk)) packetize(frame.data);
 */
export class IvfParser {
  #buffer: Uint8Array = new Uint8Array(0);
  #headerSeen = false;
  #fourcc = '';
  #frames = 0;

  /** The codec FourCC from the file header (`VP80`), empty until the header arrived. */
  get fourcc(): string {
    return this.#fourcc;
  }

  process(chunk: Uint8Array): IvfFrame[] {
    this.#append(chunk);
    const out: IvfFrame[] = [];
    let offset = 0;
    const buf = this.#buffer;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (!this.#headerSeen) {
      if (buf.length < FILE_HEADER_BYTES) return out;
      const magic = String.fromCharCode(buf[0]!, buf[1]!, buf[2]!, buf[3]!);
      if (magic !== 'DKIF') {
        throw new TransportError('TRANSPORT_BAD_IVF', `not an IVF stream (magic "${magic}")`);
      }
      const headerBytes = view.getUint16(6, true);
      if (headerBytes < FILE_HEADER_BYTES || buf.length < headerBytes) return out;
      this.#fourcc = String.fromCharCode(buf[8]!, buf[9]!, buf[10]!, buf[11]!);
      this.#headerSeen = true;
      offset = headerBytes;
    }
    while (buf.length - offset >= FRAME_HEADER_BYTES) {
      const size = view.getUint32(offset, true);
      if (size > MAX_FRAME_BYTES) {
        throw new TransportError('TRANSPORT_BAD_IVF', `IVF frame of ${size} bytes is implausible`);
      }
      if (buf.length - offset - FRAME_HEADER_BYTES < size) break;
      const pts = Number(view.getBigUint64(offset + 4, true));
      const start = offset + FRAME_HEADER_BYTES;
      out.push({ pts, data: buf.slice(start, start + size) });
      offset = start + size;
    }
    this.#buffer = buf.slice(offset);
    this.#frames += out.length;
    return out;
  }

  toJSON(): { fourcc: string; frames: number; bufferedBytes: number } {
    return { fourcc: this.#fourcc, frames: this.#frames, bufferedBytes: this.#buffer.length };
  }

  #append(chunk: Uint8Array): void {
    if (this.#buffer.length === 0) {
      this.#buffer = chunk;
      return;
    }
    const merged = new Uint8Array(this.#buffer.length + chunk.length);
    merged.set(this.#buffer, 0);
    merged.set(chunk, this.#buffer.length);
    this.#buffer = merged;
  }
}
