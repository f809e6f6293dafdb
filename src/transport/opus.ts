import OpusScript from 'opusscript';
import { TransportError } from './errors.ts';

/** Opus runs at 48 kHz in WebRTC; facecast sends and decodes mono. */
export const OPUS_SAMPLE_RATE = 48_000 as const;
/** 20 ms per Opus packet, the WebRTC default. */
export const OPUS_FRAME_SAMPLES = 960;

/** Options of {@link OpusEncoder}. */
export interface OpusEncoderOptions {
  /** Bitrate in bit/s. Default 32000 (clear speech). */
  bitrate?: number;
}

/**
 * Float32 48 kHz mono → 20 ms Opus packets (libopus 1.4 compiled to WebAssembly by the
 * `opusscript` package: installs from npm with no native build). Keeps the remainder of a
 * chunk that is not a whole packet for the next call.
 *
 * @example
 * const opus = new OpusEncoder();
 * const packets = opus.process(samples48k); // one Uint8Array per 20 ms
 * opus.close();
 */
export class OpusEncoder {
  readonly #codec: OpusScript;
  readonly #pcm = Buffer.alloc(OPUS_FRAME_SAMPLES * 2);
  #filled = 0;
  #closed = false;
  #packets = 0;

  constructor(options: OpusEncoderOptions = {}) {
    try {
      this.#codec = new OpusScript(OPUS_SAMPLE_RATE, 1, OpusScript.Application.VOIP);
      this.#codec.setBitrate(options.bitrate ?? 32_000);
    } catch (cause) {
      throw new TransportError('TRANSPORT_OPUS_FAILED', 'could not create the Opus encoder', {
        cause,
      });
    }
  }

  /** Samples waiting for a full packet. */
  get pendingSamples(): number {
    return this.#filled;
  }

  process(samples: Float32Array): Uint8Array[] {
    if (this.#closed) throw new TransportError('TRANSPORT_CLOSED', 'Opus encoder is closed');
    const out: Uint8Array[] = [];
    for (let i = 0; i < samples.length; i++) {
      const v = Math.max(-1, Math.min(1, samples[i] as number));
      this.#pcm.writeInt16LE(Math.round(v * 32767), this.#filled * 2);
      if (++this.#filled === OPUS_FRAME_SAMPLES) {
        out.push(new Uint8Array(this.#codec.encode(this.#pcm, OPUS_FRAME_SAMPLES)));
        this.#filled = 0;
        this.#packets++;
      }
    }
    return out;
  }

  /** Frees the WebAssembly state. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#codec.delete();
  }

  toJSON(): { packets: number; pendingSamples: number } {
    return { packets: this.#packets, pendingSamples: this.#filled };
  }
}

/**
 * Opus packets (any channel count; downmixed by libopus) → Float32 48 kHz mono.
 *
 * @example
 * const opus = new OpusDecoder();
 * const samples48k = opus.process(rtp.payload);
 */
export class OpusDecoder {
  readonly #codec: OpusScript;
  #closed = false;
  #packets = 0;
  #corrupt = 0;

  constructor() {
    try {
      this.#codec = new OpusScript(OPUS_SAMPLE_RATE, 1, OpusScript.Application.VOIP);
    } catch (cause) {
      throw new TransportError('TRANSPORT_OPUS_FAILED', 'could not create the Opus decoder', {
        cause,
      });
    }
  }

  /** Decodes one packet; a corrupt packet yields 20 ms of silence (counted in `toJSON`). */
  process(packet: Uint8Array): Float32Array {
    if (this.#closed) throw new TransportError('TRANSPORT_CLOSED', 'Opus decoder is closed');
    let pcm: Buffer;
    try {
      pcm = this.#codec.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
    } catch {
      this.#corrupt++;
      return new Float32Array(OPUS_FRAME_SAMPLES);
    }
    this.#packets++;
    const out = new Float32Array(pcm.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2) / 32768;
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#codec.delete();
  }

  toJSON(): { packets: number; corrupt: number } {
    return { packets: this.#packets, corrupt: this.#corrupt };
  }
}
