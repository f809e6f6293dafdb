import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dubber } from '../../src/dub/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';

/** x264's settings text (an SEI in the stream): what ffmpeg was actually told. */
async function x264Settings(path: string): Promise<string> {
  const text = (await readFile(path)).toString('latin1');
  const at = text.indexOf('x264 - core');
  expect(at).toBeGreaterThanOrEqual(0);
  return text.slice(at, at + 2000);
}

describe('dub output encode', () => {
  it('encodes the dubbed footage with X264_FOOTAGE_PARAMS (no P sub-partitions, subme 1)', async () => {
    const { dir, cleanup } = await tempDir('facecast-dub-encode-');
    const dubber = await Dubber.load();
    try {
      const clip = join(dir, 'clip.mp4');
      const x264 = ['-an', '-r', '25', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16'];
      await ffmpeg(['-i', fixture('dub/retalking.mp4'), '-t', '1', ...x264, clip]);
      const audio = join(dir, 'speech.wav');
      await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '1', audio]);
      const out = join(dir, 'out.mp4');
      await dubber.dub({ videoPath: clip, audioPath: audio, outPath: out, fit: 'pingpong' });
      expect(await x264Settings(out)).toMatch(/ analyse=0x3:0x3 me=hex subme=1 /);
    } finally {
      await dubber.close();
      await cleanup();
    }
  }, 300_000);
});
