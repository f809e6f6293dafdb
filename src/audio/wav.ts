import { AudioError } from './errors.ts';

/**
 * Encodes mono Float32 samples as a WAV file (16-bit PCM by default, or 32-bit float).
 * Used for TTS output, test material and debugging dumps.
 *
 * @example
 * await writeFile('out.wav', encodeWav(samples, 16000));
 */
export function encodeWav(
  samples: Float32Array,
  sampleRate: number,
  format: 's16' | 'f32' = 's16',
): Buffer {
  const bytesPerSample = format === 's16' ? 2 : 4;
  const dataBytes = samples.length * bytesPerSample;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(format === 's16' ? 1 : 3, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * bytesPerSample, 28);
  buf.writeUInt16LE(bytesPerSample, 32);
  buf.writeUInt16LE(bytesPerSample * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (format === 's16') {
      const clamped = v > 1 ? 1 : Math.max(v, -1);
      buf.writeInt16LE(Math.round(clamped * 32767), 44 + 2 * i);
    } else buf.writeFloatLE(v, 44 + 4 * i);
  }
  return buf;
}

/** Samples and rate of a decoded WAV file (mixed down to mono). */
export interface WavAudio {
  samples: Float32Array;
  sampleRate: number;
}

/**
 * Decodes a PCM WAV file (16-bit integer or 32-bit float, any channel count, mixed down to
 * mono) without a subprocess: what local TTS engines write. Walks the RIFF chunks, so extra
 * chunks (LIST, fact) are skipped; throws AUDIO_DECODE_FAILED for anything else.
 *
 * @example
 * const { samples, sampleRate } = decodeWav(await readFile('speech.wav'));
 */
export function decodeWav(bytes: Uint8Array): WavAudio {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    buf.length < 12 ||
    buf.toString('ascii', 0, 4) !== 'RIFF' ||
    buf.toString('ascii', 8, 12) !== 'WAVE'
  )
    throw new AudioError('AUDIO_DECODE_FAILED', 'not a RIFF/WAVE file');
  let format: { code: number; channels: number; sampleRate: number; bits: number } | undefined;
  for (let offset = 12; offset + 8 <= buf.length; ) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && size >= 16) {
      format = {
        code: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!format) throw new AudioError('AUDIO_DECODE_FAILED', 'WAV data before its fmt chunk');
      // engines streaming to a file may leave the size unset (0 or 0xFFFFFFFF): read to the end
      const end = size === 0 || body + size > buf.length ? buf.length : body + size;
      return { samples: pcmToMono(buf.subarray(body, end), format), sampleRate: format.sampleRate };
    }
    offset = body + size + (size % 2);
  }
  throw new AudioError('AUDIO_DECODE_FAILED', 'WAV file has no data chunk');
}

function pcmToMono(
  data: Buffer,
  format: { code: number; channels: number; bits: number },
): Float32Array {
  const int16 = format.code === 1 && format.bits === 16;
  const float32 = format.code === 3 && format.bits === 32;
  if ((!int16 && !float32) || format.channels < 1)
    throw new AudioError(
      'AUDIO_DECODE_FAILED',
      `unsupported WAV encoding (format ${format.code}, ${format.bits} bits); 16-bit PCM or 32-bit float only`,
    );
  const step = format.bits / 8;
  const frames = Math.floor(data.length / (step * format.channels));
  const out = new Float32Array(frames);
  for (let i = 0, offset = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < format.channels; c++, offset += step)
      acc += int16 ? data.readInt16LE(offset) / 32768 : data.readFloatLE(offset);
    out[i] = acc / format.channels;
  }
  return out;
}
