import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readControlsFile } from '../../src/controls/index.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

const sd = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

describe('facecast motion: the upper body', () => {
  it('writes a speech-driven upper body into the CSV; --no-body leaves only the breathing', async () => {
    const csv = join(dir, 'body.csv');
    const ok = await facecast(['motion', fixture('speech/jfk.wav'), '--out', csv, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).body).toMatch(/^facecast-body /);
    const { frames } = await readControlsFile(csv);
    expect(frames).toHaveLength(276);
    expect(sd(frames.map((f) => f.body.rightWrist.x))).toBeGreaterThan(0.005);
    expect(sd(frames.map((f) => f.body.leftElbow.y))).toBeGreaterThan(0.002);
    expect(sd(frames.map((f) => f.body.neck.roll))).toBeGreaterThan(0.0002);

    const plain = join(dir, 'plain.json');
    expect(
      (await facecast(['motion', fixture('speech/jfk.wav'), '--out', plain, '--no-body'])).code,
    ).toBe(0);
    const still = await readControlsFile(plain);
    expect(still.frames.every((f) => f.body.leftElbow.y === 0 && f.body.neck.roll === 0)).toBe(
      true,
    );
    expect(sd(still.frames.map((f) => f.body.leftShoulder.y))).toBeGreaterThan(0); // breathing
  });

  it('a missing --body-model folder is a clear not-found error', async () => {
    const { code, stderr } = await facecast([
      'motion',
      fixture('speech/jfk.wav'),
      '--out',
      join(dir, 'x.csv'),
      '--body-model',
      join(dir, 'nowhere'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^facecast motion: BODY_MODEL_MISSING: /);
  });
});
