/** RTP clock rates (RFC 3551 / RFC 7587). */
export const VIDEO_RTP_RATE = 90_000;
export const OPUS_RTP_RATE = 48_000;
const WRAP = 2 ** 32;

/**
 * The one clock both tracks are stamped from: media time. Video frame `k` shows the instant
 * `k × 40 ms`; audio sample `s` of the 48 kHz output is the instant `s / 48 ms`. Both RTP
 * timestamps are pure functions of that media time (plus each track's random base, RFC 3550),
 * so audio and video cannot drift apart however long the session runs; the frame clock keeps
 * media time locked to wall time.
 *
 * @example
 * const clock = new MediaClock();
 * clock.videoTimestamp(250); // base + 250 × 3600
 * clock.audioTimestamp(480_000); // base + 480000 (10 s)
 */
export class MediaClock {
  readonly fps: number;
  readonly videoBase: number;
  readonly audioBase: number;

  constructor(options: { fps?: number; videoBase?: number; audioBase?: number } = {}) {
    this.fps = options.fps ?? 25;
    this.videoBase = (options.videoBase ?? Math.floor(Math.random() * WRAP)) % WRAP;
    this.audioBase = (options.audioBase ?? Math.floor(Math.random() * WRAP)) % WRAP;
  }

  /** RTP timestamp (90 kHz) of video frame `frameIndex`. */
  videoTimestamp(frameIndex: number): number {
    return (this.videoBase + frameIndex * (VIDEO_RTP_RATE / this.fps)) % WRAP;
  }

  /** RTP timestamp (48 kHz) of output audio sample `sampleIndex`. */
  audioTimestamp(sampleIndex: number): number {
    return (this.audioBase + sampleIndex) % WRAP;
  }

  /** Media time of a video frame, ms. */
  frameTimeMs(frameIndex: number): number {
    return (frameIndex * 1000) / this.fps;
  }

  /** Media time of an audio sample, ms. */
  sampleTimeMs(sampleIndex: number): number {
    return (sampleIndex * 1000) / OPUS_RTP_RATE;
  }
}
