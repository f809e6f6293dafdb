import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dubber, type DubResult, videoFrameAt } from '../../src/dub/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { mp4Facts } from '../helpers/video.ts';

// A clip with frames without a face: 1 s of the talking clip, 0.4 s of black, 1 s from later
// in the clip (a cut each side of the black), 25 fps. New audio longer than the clip, so the
// ping-pong fit plays it backwards through the black again.

let dubber: Dubber;
let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
let result: DubResult;
const sourceOf: number[] = [];
const dubbed: boolean[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-dub-faceless-'));
  clip = join(dir, 'spliced.mp4');
  const part = (name: string) => join(dir, name);
  const x264 = ['-an', '-r', '25', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16'];
  const source = fixture('dub/retalking.mp4');
  await ffmpeg(['-i', source, '-t', '1', ...x264, part('a.mp4')]);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=black:s=700x700:r=25:d=0.4',
    '-pix_fmt',
    'yuv420p',
    ...x264,
    part('b.mp4'),
  ]);
  await ffmpeg(['-ss', '3', '-i', source, '-t', '1', ...x264, part('c.mp4')]);
  const list = part('list.txt');
  await writeFile(list, ['a', 'b', 'c'].map((n) => `file '${part(`${n}.mp4`)}'`).join('\n'));
  await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', clip]);
  const audio = join(dir, 'speech.wav');
  await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '3.6', audio]);
  dubber = await Dubber.load();
  result = await dubber.dub(
    { videoPath: clip, audioPath: audio, outPath: join(dir, 'out.mp4'), fit: 'pingpong' },
    {
      onFrame: (f) => {
        sourceOf.push(f.sourceFrame);
        dubbed.push(f.dubbed);
      },
    },
  );
});

afterAll(async () => {
  await dubber?.close();
  await cleanup?.();
});

describe('frames without a face', () => {
  it('are reported as a range, with the cuts round them', () => {
    expect(result.sourceFrames).toBe(60);
    expect(result.passThrough).toEqual([
      { reason: 'no-face', firstFrame: 25, lastFrame: 34, startMs: 1000, endMs: 1400 },
    ]);
    expect(result.cuts.map((c) => c.frame)).toEqual([25, 35]);
    expect(result.dubbedSourceFrames).toBe(50);
  });

  it('go through untouched (black stays black), ping-ponging past the end of the clip', async () => {
    // 3.6 s at 25 fps: 90 frames; ping-pong over the 60 source frames.
    expect(result.frames).toBe(90);
    expect(sourceOf).toEqual(Array.from({ length: 90 }, (_, k) => videoFrameAt(k, 60, 'pingpong')));
    expect(dubbed).toEqual(sourceOf.map((s) => s < 25 || s > 34));
    const facts = await mp4Facts(result.outPath);
    expect(Math.abs(facts.videoDurationMs - 3600)).toBeLessThan(41);
    let checked = 0;
    for await (const frame of await openVideoFrames(result.outPath, { fps: 'source' })) {
      const s = sourceOf[frame.frameIndex] as number;
      const mean = frame.rgb.reduce((a, v) => a + v, 0) / frame.rgb.length;
      if (s >= 25 && s <= 34) {
        expect(mean).toBeLessThan(2);
        checked++;
      } else expect(mean).toBeGreaterThan(60);
    }
    // Forwards through the 10 black frames, then backwards into them again (frames 34…29).
    expect(checked).toBe(16);
  });
});
