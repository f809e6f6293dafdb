import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../src/dub/index.ts';

const range = (n: number, stepMs: number, startMs = 0) =>
  Array.from({ length: n }, (_, i) => startMs + i * stepMs);

describe('the source timeline', () => {
  it('keeps a constant rate, snapped to the standard rate it measures', () => {
    const t = buildTimeline(range(100, 40));
    expect(t.fps).toBe(25);
    expect(t.variable).toBe(false);
    expect(t.frames).toBe(100);
    expect(t.durationMs).toBeCloseTo(4000, 6);
    expect(Array.from({ length: 100 }, (_, j) => t.sourceIndexAt(j))).toEqual(range(100, 1));
    // NTSC: 1001/30 ms per frame → exactly 30000/1001, with a start offset.
    const ntsc = buildTimeline(range(60, 1001 / 30, 500));
    expect(ntsc.fps).toBeCloseTo(30000 / 1001, 9);
    expect(ntsc.sourceIndexAt(59)).toBe(59);
  });

  it('shows a variable-rate source at its fastest regular rate, repeating slower frames', () => {
    // 15 fps for 4 frames, then 30 fps for 4 frames (ms): like the video-retalking clip.
    const times = [0, 66.7, 133.3, 200, 233.3, 266.7, 300, 333.3];
    const t = buildTimeline(times);
    expect(t.variable).toBe(true);
    expect(t.fps).toBe(30);
    // 0, 33, 67, … ms: each output frame shows the source frame on screen at that instant.
    const shown = Array.from({ length: t.frames }, (_, j) => t.sourceIndexAt(j));
    expect(shown.slice(0, 10)).toEqual([0, 0, 1, 1, 2, 2, 3, 4, 5, 6]);
    // Every source frame appears at least once.
    expect(new Set(shown).size).toBe(times.length);
  });

  it('caps very high rates and handles a single frame', () => {
    const fast = buildTimeline(range(240, 1000 / 120));
    expect(fast.fps).toBe(60);
    expect(fast.frames).toBe(120);
    const one = buildTimeline([1234]);
    expect(one.fps).toBe(25);
    expect(one.frames).toBe(1);
    expect(one.sourceIndexAt(0)).toBe(0);
    expect(() => one.sourceIndexAt(1)).toThrow(RangeError);
    expect(() => buildTimeline([])).toThrow(RangeError);
  });
});
