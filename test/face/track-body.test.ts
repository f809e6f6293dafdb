import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readControlsFile } from '../../src/controls/index.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';

/** 1.2 s of a half-body speaker gesturing (see test/fixtures/README.md). */
const CLIP = fixture('body/halfbody_demo1_1s.mp4');

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

function sd(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

describe('facecast track: the upper body', () => {
  it('--body-every 1 puts the moving shoulders, elbows and wrists into the CSV', async () => {
    const csv = join(dir, 'body.csv');
    const { code } = await facecast(['track', CLIP, '--out', csv, '--body-every', '1']);
    expect(code).toBe(0);
    const { frames } = await readControlsFile(csv);
    expect(frames.length).toBeGreaterThanOrEqual(30);
    // Every frame measured afresh: the wrists and shoulders change from frame to frame…
    const rightWristY = frames.map((f) => f.body.rightWrist.y);
    const leftShoulderY = frames.map((f) => f.body.leftShoulder.y);
    expect(sd(rightWristY)).toBeGreaterThan(0.01);
    // (the shoulders follow the chest's own motion, which on this seated speaker is nearly
    // still; test/body/chest.test.ts checks they follow it rather than the arms)
    expect(sd(leftShoulderY)).toBeGreaterThan(0);
    expect(sd(frames.map((f) => f.body.neck.roll))).toBeGreaterThan(0.001);
    // …by plausible amounts (shoulder widths; radians for the neck).
    for (const f of frames) {
      expect(Math.abs(f.body.leftShoulder.y)).toBeLessThan(0.2);
      expect(Math.abs(f.body.rightWrist.y)).toBeLessThan(1);
      expect(Math.abs(f.body.neck.roll)).toBeLessThan(0.2);
    }
  });

  it('--body-every must be a whole number ≥ 0', async () => {
    const { code, stderr } = await facecast([
      'track',
      CLIP,
      '--out',
      join(dir, 'c.csv'),
      '--body-every',
      '1.5',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^facecast track: USAGE: --body-every/);
  });
});
