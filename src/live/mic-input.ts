import { Resampler } from '../audio/index.ts';
import { type IncomingAudioPacket, OPUS_FRAME_SAMPLES, OpusDecoder } from '../transport/index.ts';

/** Longest sequence gap filled with silence; a bigger jump is a new talk spurt. */
const MAX_GAP_PACKETS = 10;

/**
 * Microphone RTP (Opus) → 16 kHz mono: decodes in sequence order, drops duplicates and
 * late packets, fills small gaps with silence so the audio keeps its timing, and reports
 * the block's level for voice activity.
 *
 * @example
 * const mic = new MicInput();
 * const chunk = mic.process(packet); // Float32Array at 16 kHz (possibly empty)
 */
export class MicInput {
  readonly #decoder = new OpusDecoder();
  readonly #downsample = new Resampler(48_000, 16_000);
  #lastSequence: number | undefined;
  #late = 0;
  #gapPackets = 0;
  #closed = false;

  process(packet: IncomingAudioPacket): Float32Array {
    if (this.#closed) return new Float32Array(0);
    let missing = 0;
    if (this.#lastSequence !== undefined) {
      const step = (packet.sequenceNumber - this.#lastSequence) & 0xffff;
      if (step === 0 || step > 0x8000) {
        this.#late++;
        return new Float32Array(0);
      }
      missing = step - 1;
    }
    this.#lastSequence = packet.sequenceNumber;
    const decoded = this.#decoder.process(packet.payload);
    if (missing === 0 || missing > MAX_GAP_PACKETS) return this.#downsample.process(decoded);
    this.#gapPackets += missing;
    const withGap = new Float32Array(missing * OPUS_FRAME_SAMPLES + decoded.length);
    withGap.set(decoded, missing * OPUS_FRAME_SAMPLES);
    return this.#downsample.process(withGap);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#decoder.close();
  }

  toJSON(): { decoded: number; corrupt: number; late: number; gapPackets: number } {
    const d = this.#decoder.toJSON();
    return {
      decoded: d.packets,
      corrupt: d.corrupt,
      late: this.#late,
      gapPackets: this.#gapPackets,
    };
  }
}

/** Root mean square level of a block in dBFS (−∞ for digital silence). */
export function rmsDbfs(samples: Float32Array): number {
  if (samples.length === 0) return Number.NEGATIVE_INFINITY;
  let acc = 0;
  for (let i = 0; i < samples.length; i++) acc += (samples[i] as number) ** 2;
  return 10 * Math.log10(acc / samples.length);
}
