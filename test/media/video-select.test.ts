import { describe, expect, it } from 'vitest';
import { openVideoFrames } from '../../src/media/index.ts';
import { fixture } from '../helpers/media.ts';

/** A variable-frame-rate H.264 clip (15/30 fps mixed, 135 frames), the dubbing fixture. */
const VFR = fixture('dub/retalking.mp4');

async function collect(options: Parameters<typeof openVideoFrames>[1]) {
  const frames = [];
  for await (const frame of await openVideoFrames(VFR, options)) frames.push(frame);
  return frames;
}

describe('openVideoFrames with select (frames by number)', () => {
  it('gives exactly the frames of a full decode, with their indices and times', async () => {
    const all = await collect({ fps: 'source', maxSize: 128 });
    expect(all.length).toBe(135);
    const some = await collect({ fps: 'source', maxSize: 128, select: { first: 40, count: 5 } });
    expect(some.map((f) => f.frameIndex)).toEqual([40, 41, 42, 43, 44]);
    some.forEach((f, k) => {
      const same = all[40 + k]!;
      expect(f.timeMs).toBeCloseTo(same.timeMs, 3);
      expect(Buffer.from(f.rgb).equals(Buffer.from(same.rgb))).toBe(true);
    });
    // After rate conversion, frame numbers count output frames.
    const at25 = await collect({ fps: 25, maxSize: 128, select: { first: 10, count: 2 } });
    expect(at25.map((f) => [f.frameIndex, f.timeMs])).toEqual([
      [10, 400],
      [11, 440],
    ]);
  });

  it('refuses a bad range', async () => {
    await expect(openVideoFrames(VFR, { select: { first: -1, count: 2 } })).rejects.toThrow(
      RangeError,
    );
    await expect(openVideoFrames(VFR, { select: { first: 0, count: 0 } })).rejects.toThrow(
      RangeError,
    );
  });
});
