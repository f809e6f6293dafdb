/**
 * Content sniffing for uploads: the format is decided by the file's first bytes, never by
 * its name or the Content-Type the client declared. Only what the routes accept is known.
 */
export type SniffedKind = 'image' | 'audio' | 'av-container';

export interface Sniffed {
  kind: SniffedKind;
  /** A short format name (`jpeg`, `png`, `wav`, `mp3` …). */
  format: string;
  mime: string;
}

const ascii = (bytes: Uint8Array, offset: number, text: string) => {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
};
const startsWith = (bytes: Uint8Array, prefix: readonly number[]) =>
  bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);

/** How many leading bytes {@link sniffMedia} needs. */
export const SNIFF_BYTES = 16;

/**
 * Identifies the file format from its leading bytes (at least {@link SNIFF_BYTES}).
 * Containers that may hold audio or video (MP4/M4A/MOV, Matroska/WebM) are reported as
 * `av-container`; ffprobe decides later whether they hold usable audio.
 *
 * @example
 * sniffMedia(await readFirstBytes(path))?.kind === 'image'
 */
export function sniffMedia(bytes: Uint8Array): Sniffed | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff]))
    return { kind: 'image', format: 'jpeg', mime: 'image/jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { kind: 'image', format: 'png', mime: 'image/png' };
  }
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) {
    return { kind: 'image', format: 'webp', mime: 'image/webp' };
  }
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) {
    return { kind: 'audio', format: 'wav', mime: 'audio/wav' };
  }
  if (ascii(bytes, 0, 'FORM') && (ascii(bytes, 8, 'AIFF') || ascii(bytes, 8, 'AIFC'))) {
    return { kind: 'audio', format: 'aiff', mime: 'audio/aiff' };
  }
  if (ascii(bytes, 0, 'OggS')) return { kind: 'audio', format: 'ogg', mime: 'audio/ogg' };
  if (ascii(bytes, 0, 'fLaC')) return { kind: 'audio', format: 'flac', mime: 'audio/flac' };
  if (ascii(bytes, 0, 'ID3')) return { kind: 'audio', format: 'mp3', mime: 'audio/mpeg' };
  if (ascii(bytes, 0, 'caff')) return { kind: 'audio', format: 'caf', mime: 'audio/x-caf' };
  if (isMpegAudioFrame(bytes)) return { kind: 'audio', format: 'mp3', mime: 'audio/mpeg' };
  if (isAdts(bytes)) return { kind: 'audio', format: 'aac', mime: 'audio/aac' };
  if (ascii(bytes, 4, 'ftyp')) return { kind: 'av-container', format: 'mp4', mime: 'video/mp4' };
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) {
    return { kind: 'av-container', format: 'matroska', mime: 'video/webm' };
  }
  return undefined;
}

/** An MPEG-1/2 audio frame header: 11-bit sync, a valid layer, bitrate and sample rate. */
function isMpegAudioFrame(bytes: Uint8Array): boolean {
  const [b0, b1, b2] = bytes;
  if (b0 !== 0xff || b1 === undefined || b2 === undefined || (b1 & 0xe0) !== 0xe0) return false;
  const version = (b1 >> 3) & 0x3;
  const layer = (b1 >> 1) & 0x3;
  const bitrate = b2 >> 4;
  const rate = (b2 >> 2) & 0x3;
  return version !== 1 && layer !== 0 && bitrate !== 0 && bitrate !== 15 && rate !== 3;
}

/** An ADTS (raw AAC) header: 12-bit sync, layer 0. */
function isAdts(bytes: Uint8Array): boolean {
  const [b0, b1] = bytes;
  return b0 === 0xff && b1 !== undefined && (b1 & 0xf6) === 0xf0;
}
