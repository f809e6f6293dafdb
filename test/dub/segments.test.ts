import { describe, expect, it } from 'vitest';
import { dubStrength, passThroughRanges, STATUS_ID } from '../../src/dub/segments.ts';

const S = STATUS_ID;

describe('pass-through ranges and easing', () => {
  it('merges consecutive untouched frames of one reason, with their times', () => {
    const statuses = Uint8Array.from([
      S.dubbed,
      S['no-face'],
      S['no-face'],
      S.dubbed,
      S['multiple-faces'],
      S['pose-extreme'],
      S['pose-extreme'],
    ]);
    const times = [0, 40, 80, 120, 160, 200, 240];
    expect(passThroughRanges(statuses, times, 280)).toEqual([
      { reason: 'no-face', firstFrame: 1, lastFrame: 2, startMs: 40, endMs: 120 },
      { reason: 'multiple-faces', firstFrame: 4, lastFrame: 4, startMs: 160, endMs: 200 },
      { reason: 'pose-extreme', firstFrame: 5, lastFrame: 6, startMs: 200, endMs: 280 },
    ]);
    expect(passThroughRanges(Uint8Array.from([S.dubbed, S.dubbed]), [0, 40], 80)).toEqual([]);
  });

  it('eases the new mouth in and out next to untouched frames, but not across a cut', () => {
    const statuses = new Uint8Array(12).fill(S.dubbed);
    statuses[5] = S['no-face'];
    const sameShot = new Int32Array(12);
    const s = dubStrength(statuses, sameShot, 3);
    expect(s[5]).toBe(0);
    // 1, 2, 3 frames away: rising; 4 and more: full.
    expect(s[4]).toBeGreaterThan(0);
    expect(s[4]).toBeLessThan(s[3] as number);
    expect(s[3]).toBeLessThan(s[2] as number);
    expect(s[1]).toBe(1);
    expect(s[6]).toBeCloseTo(s[4] as number, 6);
    expect(s[9]).toBe(1);
    // The untouched frame is the last of its shot: the next shot starts at full strength.
    const shots = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const cut = dubStrength(statuses, shots, 3);
    expect(cut[6]).toBe(1);
    expect(cut[4]).toBeLessThan(1);
    // No ramp asked: a hard switch.
    expect(dubStrength(statuses, sameShot, 0)[4]).toBe(1);
  });
});
