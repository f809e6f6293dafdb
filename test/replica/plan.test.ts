import { describe, expect, it } from 'vitest';
import { findJoins, type PlanInput, PlaybackPlan, playbackRuns } from '../../src/replica/index.ts';

/**
 * Synthetic footage: a head turning back and forth with a period of `period` frames (so the
 * footage matches itself one period later), optionally drifting away so that nothing matches.
 */
function footage(n: number, period: number, drift = 0): PlanInput {
  const features: (Float32Array | undefined)[] = [];
  const thumbs: (Float32Array | undefined)[] = [];
  for (let j = 0; j < n; j++) {
    const yaw = 5 * Math.sin((2 * Math.PI * j) / period) + drift * j;
    features.push(Float32Array.of(yaw, 0, 0));
    thumbs.push(new Float32Array(256).fill(100 + yaw));
  }
  return { features, thumbs, continues: new Uint8Array(n).fill(1) };
}

function play(plan: PlaybackPlan, frames: number) {
  return Array.from({ length: frames }, () => plan.next());
}

describe('PlaybackPlan', () => {
  it('loops periodic footage through joins that match, for as long as asked', () => {
    const input = footage(200, 60);
    const joins = findJoins(input);
    expect(joins.length).toBeGreaterThan(0);
    // The cheapest join lands a whole number of periods away (same phase).
    const best = joins[0] as { from: number; to: number };
    expect(Math.abs(best.from + 1 - best.to) % 60).toBeLessThanOrEqual(1);
    const steps = play(new PlaybackPlan(input), 1000);
    expect(steps).toHaveLength(1000);
    expect(steps.some((s) => s.join === 'cut')).toBe(true);
    expect(steps.some((s) => s.join === 'reverse')).toBe(false);
    // Shown yaw never jumps more than the footage's own largest step (×1.5) between frames.
    const yaw = (s: { a: number; b: number; w: number }) => {
      const a = (input.features[s.a] as Float32Array)[0] as number;
      const b = (input.features[s.b] as Float32Array)[0] as number;
      return a + s.w * (b - a);
    };
    let own = 0;
    for (let j = 1; j < 200; j++) {
      own = Math.max(own, Math.abs(yaw({ a: j, b: j, w: 0 }) - yaw({ a: j - 1, b: j - 1, w: 0 })));
    }
    for (let k = 1; k < steps.length; k++) {
      expect(Math.abs(yaw(steps[k] as never) - yaw(steps[k - 1] as never))).toBeLessThanOrEqual(
        1.5 * own,
      );
    }
  });

  it('ping-pongs footage that never matches itself, without leaving its frames', () => {
    const input = footage(120, 1e9, 1);
    expect(findJoins(input)).toEqual([]);
    const steps = play(new PlaybackPlan(input), 400);
    expect(steps.filter((s) => s.join === 'reverse').length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k < steps.length; k++) {
      const s = steps[k] as { a: number; w: number };
      expect(s.w).toBe(0);
      expect(Math.abs(s.a - (steps[k - 1] as { a: number }).a)).toBeLessThanOrEqual(1);
      expect(s.a).toBeGreaterThanOrEqual(0);
      expect(s.a).toBeLessThan(120);
    }
  });

  it('never shows an unusable frame and never plays across a cut', () => {
    const input = footage(300, 50);
    for (let j = 140; j < 150; j++) input.features[j] = undefined;
    input.continues[219] = 0; // a cut between 219 and 220
    expect(playbackRuns(input)).toEqual([
      { first: 0, last: 139 },
      { first: 150, last: 219 },
      { first: 220, last: 299 },
    ]);
    const steps = play(new PlaybackPlan(input, { seed: 3 }), 2000);
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k] as { a: number; b: number; w: number; join: string | null };
      expect(input.features[s.a]).toBeDefined();
      expect(input.features[s.b]).toBeDefined();
      const prev = steps[k - 1];
      if (prev && s.join === null && prev.w === 0 && s.w === 0 && s.a === prev.a + 1) {
        expect(input.continues[prev.a]).toBe(1);
      }
    }
  });

  it('restarted with a seed, plays exactly as a new plan with that seed', () => {
    // Joins (periodic footage with a cut) and ping-pong (footage that never matches itself).
    for (const input of [footage(300, 50), footage(120, 1e9, 1)]) {
      input.continues[100] = 0;
      const plan = new PlaybackPlan(input, { seed: 1 });
      // Stopped mid-way: inside a cross-fade, playing backwards, early; then restarted.
      for (const [seed, stop] of [
        [4, 'cut'],
        [1, 'reverse'],
        [9, null],
      ] as const) {
        play(plan, 5);
        for (let k = 0; stop && k < 3000; k++) if (plan.next().join === stop) break;
        plan.restart(seed);
        expect(play(plan, 1500)).toEqual(play(new PlaybackPlan(input, { seed }), 1500));
      }
    }
  });
});
