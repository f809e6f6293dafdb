import { afterEach, describe, expect, it } from 'vitest';
import { MediaOutput } from '../../src/live/output.ts';
import type { RtpSink } from '../../src/transport/index.ts';

// The A/V clock on the real MediaOutput (ffmpeg VP8 encoder, Opus, RTP stamping), driven the
// way the frame loop drives it: each 40 ms frame's voice, then its picture, at real time, with
// some pictures dropped (a late renderer). The test reads only what left for the sink: RTP
// timestamps and send times, as a receiver's lip sync would (RTP time ↔ send time per track).

const WRAP = 2 ** 32;
const SECONDS = 8;
const FRAMES = SECONDS * 25;
/** A picture dropped now and then, as the frame loop drops them under load. */
const dropped = (frameIndex: number) => frameIndex % 7 === 3;

interface Sent {
  timestamp: number;
  sentAtMs: number;
}

let output: MediaOutput | undefined;
afterEach(async () => {
  await output?.close();
  output = undefined;
});

async function stream(out: MediaOutput): Promise<{ video: Sent[]; audio: Sent[] }> {
  const video: Sent[] = [];
  const audio: Sent[] = [];
  const sink: RtpSink = {
    sendVideo(packets) {
      const last = packets.at(-1);
      if (last?.marker) video.push({ timestamp: last.timestamp, sentAtMs: performance.now() });
    },
    sendAudio(packet) {
      audio.push({ timestamp: packet.timestamp, sentAtMs: performance.now() });
    },
  };
  out.addSink(sink);
  const rgb = new Uint8Array(64 * 64 * 3);
  const voice = new Float32Array(640);
  const startedAt = performance.now();
  for (let k = 0; k < FRAMES; k++) {
    const due = startedAt + k * 40;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    for (let i = 0; i < voice.length; i++) voice[i] = 0.3 * Math.sin((k * 640 + i) / 9);
    rgb.fill(k % 256);
    out.sendVoice(voice);
    if (!dropped(k)) out.sendFrame({ width: 64, height: 64, data: rgb }, k);
  }
  await new Promise((r) => setTimeout(r, 300)); // the last frames leave the encoder
  return { video, audio };
}

/**
 * Where a receiver places the track's media time 0: the mean of (send time − media time),
 * trimmed of its highest and lowest 10 % (a load spike). A mean, not a median: a frame's two
 * Opus packets leave together, so their offsets differ by 20 ms.
 */
function placement(sent: Sent[], mediaMs: (s: Sent) => number): number {
  const offsets = sent.map((s) => s.sentAtMs - mediaMs(s)).sort((a, b) => a - b);
  const cut = Math.floor(offsets.length / 10);
  const kept = offsets.slice(cut, offsets.length - cut);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

describe('MediaOutput: audio and video on one media clock (real encoder, real RTP)', () => {
  it(`keeps both tracks' RTP time on the session clock for ${SECONDS} s, with pictures dropped`, async () => {
    output = await MediaOutput.start({ width: 64, height: 64, fps: 25 });
    const { clock } = output;
    const { video, audio } = await stream(output);

    // Video: each picture carries its own frame's media time (k × 40 ms from the clock's
    // base), whatever was dropped before it; audio: 20 ms packets, contiguous from the base.
    const frameOf = (s: Sent) => ((s.timestamp - clock.videoBase + WRAP) % WRAP) / 3600;
    const videoMs = (s: Sent) => frameOf(s) * 40;
    const audioMs = (s: Sent) => ((s.timestamp - clock.audioBase + WRAP) % WRAP) / 48;
    const offered = Array.from({ length: FRAMES }, (_, k) => k).filter((k) => !dropped(k));
    const frames = video.map(frameOf);
    expect(frames.length, 'pictures out of the encoder').toBeGreaterThan(offered.length * 0.5);
    expect(
      frames.filter((k) => !offered.includes(k)),
      'stamps off the clock',
    ).toEqual([]);
    expect(frames).toEqual([...frames].sort((a, b) => a - b));
    expect(audio.map(audioMs)).toEqual(audio.map((_, i) => i * 20));
    // (the 16 → 48 kHz resampler holds a few samples back: the last packet may still wait)
    expect(audio.length).toBeGreaterThanOrEqual(FRAMES * 2 - 1);

    // What a receiver's A/V sync sees: each track's media time against its send time. The
    // video leaves after the encoder (measured skew −9…+3 ms at 64², drift ≤ 12 ms, 2 cores);
    // the skew must be small at the start, small at the end, and must not drift between.
    const skew = (from: number, to: number) => {
      const inWindow = (ms: number) => ms >= from && ms < to;
      return (
        placement(
          video.filter((s) => inWindow(videoMs(s))),
          videoMs,
        ) -
        placement(
          audio.filter((s) => inWindow(audioMs(s))),
          audioMs,
        )
      );
    };
    const first = skew(1000, 3000); // (ffmpeg's first frames are slower)
    const last = skew((SECONDS - 2) * 1000, SECONDS * 1000);

    // (bounds wide enough for the encoder's latency on a box at load average 20+)
    expect(Math.abs(first), `skew ${first} ms at the start`).toBeLessThan(120);
    expect(Math.abs(last), `skew ${last} ms at the end`).toBeLessThan(120);
    expect(Math.abs(last - first), 'skew drift').toBeLessThan(80);
  });
});
