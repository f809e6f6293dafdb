import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/features/index.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('bin/facecast', () => {
  it('lists its commands with --help', async () => {
    const { code, stdout } = await facecast(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/audio\s+Describe an audio file/);
  });

  it('audio --json reports duration, source format, levels and voiced fraction', async () => {
    const { code, stdout } = await facecast([
      'audio',
      fixture('speech/fayu_french_s24_48k_stereo.wav'),
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.durationMs).toBeCloseTo(6723.4, 0);
    expect(report.source).toMatchObject({
      sampleRate: 48_000,
      channels: 2,
      bitsPerSample: 24,
      codec: 'pcm_s24le',
    });
    expect(report.peakDbfs).toBeLessThan(0);
    expect(report.rmsDbfs).toBeLessThan(report.peakDbfs);
    expect(report.voicedFraction).toBeGreaterThan(0.3);
    expect(report.silent).toBe(false);
  });

  it('audio prints a readable summary', async () => {
    const { code, stdout } = await facecast(['audio', fixture('speech/jfk.mp3')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/duration\s+11\.000 s/);
    expect(stdout).toMatch(/mp3 in mp3, 16000 Hz, 1 ch/);
  });

  it('bad input: exit code 2 and exactly one clear line on stderr', async () => {
    const path = join(dir, 'notes.wav');
    await writeFile(path, 'not audio at all');
    const { code, stdout, stderr } = await facecast(['audio', path, '--json']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^facecast audio: MEDIA_UNREADABLE: /);
    expect(JSON.parse(stdout).error.code).toBe('MEDIA_UNREADABLE');
  });

  it('worker needs a Redis URL: exit 2 and one line naming the flag', async () => {
    const missing = await facecast(['worker']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      'facecast worker: USAGE: --queue redis://host:port is required (or FACECAST_QUEUE)',
    );
    const wrong = await facecast(['worker', '--queue', 'http://127.0.0.1:6379']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^facecast worker: CONFIG_INVALID: .*queue: must be a Redis URL/);
  });

  it('usage errors exit 2', async () => {
    expect((await facecast(['audio'])).code).toBe(2);
    expect((await facecast(['audio', 'a', '--nope'])).code).toBe(2);
    expect((await facecast(['no-such-command'])).code).toBe(2);
  });

  it('features exports a .npy the trainers can read', async () => {
    const out = join(dir, 'jfk.npy');
    const { code } = await facecast(['features', fixture('speech/jfk.wav'), '--out', out]);
    expect(code).toBe(0);
    const npy = await readNpy(out);
    expect(npy.shape).toEqual([1101, 80]);
  });

  it('controls converts CSV ↔ JSON and rejects a bad file', async () => {
    const json = join(dir, 'c.json');
    await writeFile(json, JSON.stringify({ frames: [{ blendshapes: { jawOpen: 0.3 } }, {}] }));
    const csv = join(dir, 'c.csv');
    expect((await facecast(['controls', json, '--out', csv])).code).toBe(0);
    const back = await facecast(['controls', csv, '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ frames: 2, fps: 25 });
    await writeFile(json, JSON.stringify({ frames: [{ blendshapes: { jawOpen: 3 } }] }));
    const bad = await facecast(['controls', json]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CONTROLS_INVALID: .*jawOpen/);
  });
});
