import { z } from 'zod';
import { AudioError } from './errors.ts';
import { Resampler } from './resample.ts';

/** The sample rate of every signal inside the pipeline. */
export const PIPELINE_SAMPLE_RATE = 16_000 as const;
export type PipelineSampleRate = typeof PIPELINE_SAMPLE_RATE;

/** Format of raw PCM chunks pushed by a live client (ws, server-to-server agents). */
export const pcmFormatSchema = z.object({
  encoding: z.enum(['s16le', 'f32le']),
  sampleRate: z.union([z.literal(16_000), z.literal(24_000), z.literal(48_000)]),
  channels: z.union([z.literal(1), z.literal(2)]).default(1),
});
export type PcmFormat = z.infer<typeof pcmFormatSchema>;

/**
 * Turns raw PCM chunks of any size (split anywhere, even mid-sample) into 16 kHz mono
 * Float32 through the same {@link Resampler} the file decoder uses.
 *
 * @example
 * const input = new PcmInput({ encoding: 's16le', sampleRate: 48000, channels: 1 });
 * const samples16k = input.process(chunk);
 */
export class PcmInput {
  readonly format: PcmFormat;
  readonly #resampler: Resampler;
  readonly #frameBytes: number;
  #carry = new Uint8Array(0);

  constructor(format: PcmFormat) {
    this.format = pcmFormatSchema.parse(format);
    this.#resampler = new Resampler(this.format.sampleRate, PIPELINE_SAMPLE_RATE);
    this.#frameBytes = (this.format.encoding === 's16le' ? 2 : 4) * this.format.channels;
  }

  process(chunk: Uint8Array): Float32Array {
    let bytes = chunk;
    if (this.#carry.length > 0) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry, 0);
      bytes.set(chunk, this.#carry.length);
    }
    const usable = bytes.length - (bytes.length % this.#frameBytes);
    this.#carry = bytes.slice(usable);
    return this.#resampler.process(toMonoFloat(bytes.subarray(0, usable), this.format));
  }

  /** Ends the stream; a dangling partial sample is an error (the sender cut a sample). */
  flush(): Float32Array {
    if (this.#carry.length > 0) {
      const dangling = this.#carry.length;
      this.#carry = new Uint8Array(0);
      this.#resampler.reset();
      throw new AudioError(
        'AUDIO_BAD_CHUNK',
        `stream ended inside a sample (${dangling} stray bytes)`,
      );
    }
    return this.#resampler.flush();
  }
}

function toMonoFloat(bytes: Uint8Array, format: PcmFormat): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = bytes.length / ((format.encoding === 's16le' ? 2 : 4) * format.channels);
  const out = new Float32Array(frames);
  const step = format.encoding === 's16le' ? 2 : 4;
  let offset = 0;
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < format.channels; c++) {
      acc +=
        format.encoding === 's16le'
          ? view.getInt16(offset, true) / 32768
          : view.getFloat32(offset, true);
      offset += step;
    }
    const value = acc / format.channels;
    out[i] = Number.isFinite(value) ? value : 0;
  }
  return out;
}
