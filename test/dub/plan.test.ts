import { describe, expect, it } from 'vitest';
import { outputFrameCount, videoFrameAt } from '../../src/dub/index.ts';

describe('fitting the video to the audio', () => {
  const seq = (n: number, frames: number, mode: Parameters<typeof videoFrameAt>[2]) =>
    Array.from({ length: n }, (_, k) => videoFrameAt(k, frames, mode));

  it('plays the video once while the audio lasts, in every mode', () => {
    for (const mode of ['loop', 'pingpong', 'hold', 'trim'] as const) {
      expect(seq(4, 4, mode)).toEqual([0, 1, 2, 3]);
    }
  });

  it('loops, ping-pongs without doubling the turning frames, or holds the last frame', () => {
    expect(seq(9, 4, 'loop')).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0]);
    expect(seq(11, 4, 'pingpong')).toEqual([0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2]);
    expect(seq(6, 4, 'hold')).toEqual([0, 1, 2, 3, 3, 3]);
    expect(seq(3, 1, 'pingpong')).toEqual([0, 0, 0]);
  });

  it('outputs the audio length, except trim stops at the end of the video', () => {
    // 3.2 s of audio at 30 fps = 96 frames; a 60-frame video.
    expect(outputFrameCount(3200, 30, 60, 'loop')).toBe(96);
    expect(outputFrameCount(3200, 30, 60, 'pingpong')).toBe(96);
    expect(outputFrameCount(3200, 30, 60, 'hold')).toBe(96);
    expect(outputFrameCount(3200, 30, 60, 'trim')).toBe(60);
    // A shorter audio trims the video in every mode.
    expect(outputFrameCount(1000, 25, 200, 'trim')).toBe(25);
    expect(outputFrameCount(1000, 25, 200, 'loop')).toBe(25);
    // Never zero frames.
    expect(outputFrameCount(5, 25, 200, 'loop')).toBe(1);
  });

  it('refuses a negative or fractional frame index', () => {
    expect(() => videoFrameAt(-1, 4, 'loop')).toThrow(RangeError);
    expect(() => videoFrameAt(1.5, 4, 'loop')).toThrow(RangeError);
  });
});
