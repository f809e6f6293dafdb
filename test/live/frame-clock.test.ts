import { describe, expect, it } from 'vitest';
import { FrameClock, MediaClock } from '../../src/live/index.ts';

describe('FrameClock', () => {
  it('claims each frame once, at its due time', () => {
    const clock = new FrameClock({ startMs: 1000 });
    expect(clock.due(1000)).toEqual({ first: 0, count: 1, behind: 0 });
    expect(clock.due(1039.9)).toMatchObject({ count: 0 });
    expect(clock.nextDueMs).toBe(1040);
    expect(clock.due(1040)).toEqual({ first: 1, count: 1, behind: 0 });
    expect(clock.due(1040)).toMatchObject({ count: 0 });
  });

  it('a late tick claims the frames it missed, in order, capped per batch', () => {
    const clock = new FrameClock({ startMs: 0, maxBatchFrames: 4 });
    clock.due(0);
    expect(clock.due(250)).toEqual({ first: 1, count: 4, behind: 2 }); // frames 1..6 due
    expect(clock.due(250)).toEqual({ first: 5, count: 2, behind: 0 });
    expect(clock.nextFrame).toBe(7);
  });

  it('does not drift over 8 hours of jittered, sometimes very late ticks', () => {
    const clock = new FrameClock({ startMs: 5 });
    let now = 5;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let claimed = 0;
    let expectedNext = 0;
    let gaps = 0;
    const end = 5 + 8 * 3600_000;
    while (now < end) {
      const due = clock.due(now);
      if (due.first !== expectedNext) gaps++; // contiguous: nothing skipped, nothing twice
      expectedNext += due.count;
      claimed += due.count;
      // the timer fires 0–15 ms late, and once in a while the process stalls for 0.5 s
      now = due.behind > 0 ? now : clock.nextDueMs + rand() * 15 + (rand() < 0.001 ? 500 : 0);
    }
    const last = clock.due(end);
    claimed += last.count;
    expect(gaps).toBe(0);
    // exactly one frame per 40 ms of wall time since the start, after 720 000 frames
    expect(claimed).toBe(Math.floor((end - 5) / 40) + 1);
  });
});

describe('MediaClock (one clock for audio and video)', () => {
  it('stamps video frame k and the audio of the same instant from media time alone', () => {
    const clock = new MediaClock({ videoBase: 4_000_000_000, audioBase: 123 });
    for (const k of [0, 1, 25, 90_000, 720_000]) {
      const videoSeconds =
        ((clock.videoTimestamp(k) - clock.videoBase + 2 ** 32) % 2 ** 32) / 90_000;
      const audioSeconds =
        ((clock.audioTimestamp(k * 1920) - clock.audioBase + 2 ** 32) % 2 ** 32) / 48_000;
      expect(videoSeconds).toBeCloseTo((k * 40) / 1000, 9);
      expect(audioSeconds).toBeCloseTo(videoSeconds, 9);
    }
    expect(clock.videoTimestamp(100)).toBeLessThan(2 ** 32); // wraps as RTP requires
    expect(clock.frameTimeMs(25)).toBe(1000);
    expect(clock.sampleTimeMs(48_000)).toBe(1000);
  });
});
