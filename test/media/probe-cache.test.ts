import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/media/index.ts';
import { ffprobeRunCount } from '../../src/media/probe.ts';
import { fixture, tempDir } from '../helpers/media.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir.cleanup();
});

describe('probeMedia', () => {
  it('runs ffprobe once per version of a file, each caller getting its own copy', async () => {
    const path = join(dir.dir, 'speech.wav');
    await copyFile(fixture('speech/jfk.wav'), path);
    const runs = ffprobeRunCount();
    const first = await probeMedia(path);
    const again = await probeMedia(path);
    expect(ffprobeRunCount()).toBe(runs + 1);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    (first.audio as { sampleRate: number }).sampleRate = 1;
    expect((await probeMedia(path)).audio?.sampleRate).toBe(16_000);
    expect(ffprobeRunCount()).toBe(runs + 1);

    // the same path, another file: probed afresh
    await rm(path);
    await copyFile(fixture('speech/lj001_22k.wav'), path);
    const replaced = await probeMedia(path);
    expect(ffprobeRunCount()).toBe(runs + 2);
    expect(replaced.audio?.sampleRate).toBe(22_050);
  });
});
