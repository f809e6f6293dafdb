import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facecast } from '../helpers/cli.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { mp4Facts } from '../helpers/video.ts';

let dir: string;
let cleanup: () => Promise<void>;
let short: string;
let speech: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-dub-cli-'));
  short = join(dir, 'short.mp4');
  await ffmpeg(['-i', fixture('dub/retalking.mp4'), '-t', '1.2', '-c', 'copy', short]);
  speech = join(dir, 'speech.wav');
  await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '2', speech]);
});
afterAll(() => cleanup());

describe('facecast dub', () => {
  it('dubs a video, holding the last frame past its end, and reports as JSON', async () => {
    const out = join(dir, 'out', 'dubbed.mp4');
    const { code, stdout, stderr } = await facecast([
      'dub',
      '--video',
      short,
      '--audio',
      speech,
      '--out',
      out,
      '--fit',
      'hold',
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ fit: 'hold', fps: 30, width: 700, height: 700, frames: 60 });
    expect(report.dubbedSourceFrames).toBe(report.sourceFrames);
    expect(report.timingsMs.trackDetect).toBeGreaterThan(0);
    const facts = await mp4Facts(out);
    expect(Math.abs(facts.videoDurationMs - 2000)).toBeLessThan(34);
    expect(facts.audioCodec).toBe('aac');
  });

  it('refuses bad input with one line and exit code 2', async () => {
    const noFace = join(dir, 'pattern.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=320x240:r=25:d=1',
      '-pix_fmt',
      'yuv420p',
      noFace,
    ]);
    const cases: [string[], string][] = [
      [['--video', noFace, '--audio', speech], 'DUB_NO_FACE'],
      [['--video', speech, '--audio', speech], 'MEDIA_NO_VIDEO'],
      [['--video', short, '--audio', join(dir, 'missing.wav')], 'MEDIA_NOT_FOUND'],
      [['--video', short], 'USAGE'],
      [['--video', short, '--audio', speech, '--fit', 'bounce'], 'USAGE'],
    ];
    for (const [args, code] of cases) {
      const out = join(dir, `bad-${code}.mp4`);
      const result = await facecast(['dub', ...args, '--out', out]);
      expect({ code: result.code, line: result.stderr.trim().split('\n').length }).toEqual({
        code: 2,
        line: 1,
      });
      expect(result.stderr).toMatch(new RegExp(`^facecast dub: ${code}: `));
      expect(existsSync(out)).toBe(false);
    }
  });
});
