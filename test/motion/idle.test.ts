import { describe, expect, it } from 'vitest';
import { IdleLife } from '../../src/motion/index.ts';

function run(seed: number, frames: number, activity = 0) {
  const idle = new IdleLife({ seed });
  return Array.from({ length: frames }, () => idle.next(activity));
}

describe('IdleLife', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    expect(run(7, 500)).toEqual(run(7, 500));
    expect(run(7, 500)).not.toEqual(run(8, 500));
    const idle = new IdleLife({ seed: 7 });
    const first = Array.from({ length: 100 }, () => idle.next());
    idle.reset();
    expect(Array.from({ length: 100 }, () => idle.next())).toEqual(first);
  });

  it('blinks at a human rate with full closures', () => {
    const frames = run(3, 25 * 600); // 10 minutes
    let blinks = 0;
    let closed = false;
    let deepest = 0;
    for (const f of frames) {
      if (f.blink > 0.5 && !closed) blinks++;
      closed = f.blink > 0.5;
      deepest = Math.max(deepest, f.blink);
    }
    expect(blinks / 10).toBeGreaterThan(12);
    expect(blinks / 10).toBeLessThan(26);
    expect(deepest).toBeGreaterThan(0.85);
    expect(deepest).toBeLessThanOrEqual(1);
  });

  it('sways the head by about 1–2 degrees, more while speaking', () => {
    const std = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    };
    const rest = run(5, 25 * 300, 0);
    const talking = run(5, 25 * 300, 1);
    const yawRest = std(rest.map((f) => f.yaw));
    expect(yawRest).toBeGreaterThan(0.015);
    expect(yawRest).toBeLessThan(0.06);
    expect(std(talking.map((f) => f.yaw))).toBeGreaterThan(yawRest * 1.4);
    expect(Math.max(...rest.map((f) => Math.abs(f.pitch)))).toBeLessThan(0.15);
    // Smooth: no jumps bigger than ~0.6° between frames.
    for (let i = 1; i < rest.length; i++)
      expect(Math.abs((rest[i]?.yaw ?? 0) - (rest[i - 1]?.yaw ?? 0))).toBeLessThan(0.01);
  });
});
