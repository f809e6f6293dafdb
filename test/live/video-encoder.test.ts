import { describe, expect, it } from 'vitest';
import { LiveVideoEncoder } from '../../src/live/index.ts';
import { type EncodedVideoFrame, Vp8Encoder } from '../../src/transport/index.ts';
import { isAlive, syntheticFrame, waitFor } from '../helpers/live.ts';

const W = 64;
const H = 64;

/** Feeds frames one at a time (each waits for the previous to come out), as a session's loop. */
async function feed(encoder: LiveVideoEncoder, out: EncodedVideoFrame[], from: number, n: number) {
  for (let i = from; i < from + n; i++) {
    const before = out.length;
    expect(encoder.encode(syntheticFrame(W, H, i), i)).toBe(true);
    await waitFor(() => out.length > before, { what: `frame ${i}` });
  }
}

describe('LiveVideoEncoder: key frames on request', () => {
  it('answers a request with a key frame from a fresh encoder; frames stay in order; every ffmpeg ends at close', async () => {
    // A key frame interval far beyond the test: every key frame after the first is a request's.
    const encoder = await LiveVideoEncoder.start({
      width: W,
      height: H,
      keyframeInterval: 1000,
      minKeyframeIntervalMs: 0,
    });
    const out: EncodedVideoFrame[] = [];
    encoder.on('frame', (f) => out.push(f));
    const pids = new Set<number>();
    try {
      await feed(encoder, out, 0, 10);
      pids.add(encoder.pid as number);
      expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0]);

      encoder.requestKeyframe();
      await waitFor(() => encoder.toJSON().keyframeSwitches === 1, { what: 'the switch' });
      await feed(encoder, out, 10, 10);
      pids.add(encoder.pid as number);
      expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0, 10]);

      // Requests close together are merged into one switch.
      encoder.requestKeyframe();
      encoder.requestKeyframe();
      encoder.requestKeyframe();
      await waitFor(() => encoder.toJSON().keyframeSwitches === 2, { what: 'the second switch' });
      await feed(encoder, out, 20, 5);
      pids.add(encoder.pid as number);
      expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0, 10, 20]);
      expect(out.map((f) => f.frameIndex)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      expect(encoder.toJSON()).toMatchObject({
        encoded: 25,
        keyframes: 3,
        keyframeRequests: 4,
        keyframeSwitches: 2,
      });
      expect(pids.size).toBe(3);
    } finally {
      await encoder.close();
    }
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  it('a switch while frames are in flight: the old encoder finishes them first', async () => {
    const encoder = await LiveVideoEncoder.start({
      width: W,
      height: H,
      keyframeInterval: 1000,
      minKeyframeIntervalMs: 0,
    });
    const out: EncodedVideoFrame[] = [];
    encoder.on('frame', (f) => out.push(f));
    try {
      await feed(encoder, out, 0, 3);
      await new Promise<void>((resolve) => {
        // Switch the moment the spare is ready, with two frames inside the old encoder.
        encoder.encode(syntheticFrame(W, H, 3), 3);
        encoder.encode(syntheticFrame(W, H, 4), 4);
        expect(encoder.encode(syntheticFrame(W, H, 5), 5)).toBe(false); // at most 2 in flight
        encoder.requestKeyframe();
        resolve();
      });
      await waitFor(() => encoder.toJSON().keyframeSwitches === 1, { what: 'the switch' });
      await waitFor(() => encoder.inFlight < 2, { what: 'room' });
      encoder.encode(syntheticFrame(W, H, 6), 6);
      await waitFor(() => out.length === 6, { what: 'every frame' });
      expect(out.map((f) => f.frameIndex)).toEqual([0, 1, 2, 3, 4, 6]);
      expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0, 6]);
    } finally {
      await encoder.close();
    }
  });
});

describe('Vp8Encoder warm-up (the spare)', () => {
  it('drops its warm-up frame and makes the first real frame a key frame', async () => {
    const encoder = await Vp8Encoder.start({
      width: W,
      height: H,
      keyframeInterval: 1000,
      warmUp: true,
    });
    const out: EncodedVideoFrame[] = [];
    encoder.on('frame', (f) => out.push(f));
    try {
      await encoder.warm;
      expect(out).toHaveLength(0);
      for (let i = 0; i < 3; i++) {
        encoder.encode(syntheticFrame(W, H, i), 100 + i);
        await waitFor(() => out.length > i, { what: `frame ${i}` });
      }
      // Without the forced key frame the warm-up frame would be the only key frame.
      expect(out.map((f) => [f.frameIndex, f.keyframe])).toEqual([
        [100, true],
        [101, false],
        [102, false],
      ]);
    } finally {
      await encoder.close();
    }
  });
});
