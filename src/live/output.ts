import { EventEmitter } from 'node:events';
import { Resampler } from '../audio/index.ts';
import {
  OPUS_FRAME_SAMPLES,
  OpusEncoder,
  type RtpSink,
  type TransportError,
  Vp8Payloader,
} from '../transport/index.ts';
import { MediaClock } from './media-clock.ts';
import type { RgbFrame } from './ports.ts';
import { LiveVideoEncoder } from './video-encoder.ts';

/** Options of {@link MediaOutput}. */
export interface MediaOutputOptions {
  width: number;
  height: number;
  /** VP8 bitrate, kbit/s. Default 1200. */
  bitrateKbps?: number;
  /** Frames per second. Default 25. */
  fps?: number;
  /** The media clock; default a fresh one with random bases. */
  clock?: MediaClock;
  /** ffmpeg binary; default `locateFfmpeg()`. */
  ffmpegPath?: string;
  /** Least time between two key frames made on request ({@link MediaOutput.requestKeyframe}), ms. Default 500. */
  minKeyframeIntervalMs?: number;
}

/** A video frame that left for the sinks. */
export interface SentFrame {
  frameIndex: number;
  sentAtMs: number;
  keyframe: boolean;
  bytes: number;
  encodeMs: number;
}

export type MediaOutputEvents = { frameSent: [SentFrame]; error: [TransportError]; close: [] };

/**
 * The outgoing half of a session: RGB frames → VP8 (ffmpeg) → RTP, and the avatar's voice
 * (16 kHz) → 48 kHz → Opus → RTP, both stamped by one {@link MediaClock} and fanned out to
 * every sink (the session's WebRTC peer; a mediasoup producer when fan-out is on).
 *
 * @example
 * const out = await MediaOutput.start({ width: 512, height: 512 });
 * out.addSink(peer);
 * out.sendVoice(voice16k);          // every frame, speech or silence
 * out.sendFrame(rgb, frameIndex);   // false: encoder busy, frame dropped
 */
export class MediaOutput extends EventEmitter<MediaOutputEvents> {
  readonly clock: MediaClock;
  readonly #encoder: LiveVideoEncoder;
  readonly #vp8 = new Vp8Payloader();
  readonly #upsample = new Resampler(16_000, 48_000);
  readonly #opus = new OpusEncoder();
  readonly #sinks = new Set<RtpSink>();
  #audioSequence = Math.floor(Math.random() * 0x10000);
  #audioPackets = 0;
  #closed = false;

  private constructor(encoder: LiveVideoEncoder, clock: MediaClock) {
    super();
    this.#encoder = encoder;
    this.clock = clock;
    encoder.on('frame', (frame) => {
      const packets = this.#vp8.process(frame.data, clock.videoTimestamp(frame.frameIndex));
      for (const sink of this.#sinks) sink.sendVideo(packets);
      this.emit('frameSent', {
        frameIndex: frame.frameIndex,
        sentAtMs: performance.now(),
        keyframe: frame.keyframe,
        bytes: frame.data.length,
        encodeMs: frame.encodeMs,
      });
    });
    encoder.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  static async start(
    options: MediaOutputOptions,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<MediaOutput> {
    const clock = options.clock ?? new MediaClock({ fps: options.fps ?? 25 });
    const encoder = await LiveVideoEncoder.start(
      {
        width: options.width,
        height: options.height,
        fps: options.fps ?? 25,
        bitrateKbps: options.bitrateKbps ?? 1200,
        ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
        ...(options.minKeyframeIntervalMs !== undefined
          ? { minKeyframeIntervalMs: options.minKeyframeIntervalMs }
          : {}),
      },
      signal ? { signal } : {},
    );
    return new MediaOutput(encoder, clock);
  }

  /** ffmpeg's process id. */
  get encoderPid(): number | undefined {
    return this.#encoder.pid;
  }

  /** Frames inside the encoder. */
  get encoderFrames(): number {
    return this.#encoder.inFlight;
  }

  addSink(sink: RtpSink): void {
    this.#sinks.add(sink);
  }

  removeSink(sink: RtpSink): void {
    this.#sinks.delete(sink);
  }

  /**
   * Encodes and sends the voice of one or more frames (16 kHz mono). Call it for every
   * frame, silence included, so the audio timeline never has holes. Returns packets sent.
   */
  sendVoice(samples16k: Float32Array): number {
    if (this.#closed) return 0;
    const packets = this.#opus.process(this.#upsample.process(samples16k));
    for (const payload of packets) {
      const packet = {
        sequenceNumber: this.#audioSequence,
        timestamp: this.clock.audioTimestamp(this.#audioPackets * OPUS_FRAME_SAMPLES),
        marker: false,
        payload,
      };
      this.#audioSequence = (this.#audioSequence + 1) & 0xffff;
      this.#audioPackets++;
      for (const sink of this.#sinks) sink.sendAudio(packet);
    }
    return packets.length;
  }

  /** Offers one frame to the encoder; false when it is busy (the frame is dropped). */
  sendFrame(frame: RgbFrame, frameIndex: number): boolean {
    if (this.#closed) return false;
    return this.#encoder.encode(frame.data, frameIndex);
  }

  /**
   * Asks for a key frame soon (a fan-out viewer joined, a receiver sent a PLI): the next
   * frame comes from a fresh encoder (see {@link LiveVideoEncoder}); requests are merged.
   */
  requestKeyframe(): void {
    if (!this.#closed) this.#encoder.requestKeyframe();
  }

  /** Stops the encoder process and frees the Opus state. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sinks.clear();
    this.#opus.close();
    await this.#encoder.close();
    this.emit('close');
  }

  toJSON() {
    return {
      encoder: this.#encoder.toJSON(),
      vp8: this.#vp8.toJSON(),
      audioPackets: this.#audioPackets,
    };
  }
}
