import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dubber } from '../../src/dub/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';
import { decodeFrames, fixture, tempDir } from '../helpers/media.ts';

const run = promisify(execFile);
let dir: string;
let cleanup: () => Promise<void>;
let dubber: Dubber;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-dub-thread-'));
  dubber = await Dubber.load();
});
afterAll(async () => {
  await dubber?.close();
  await cleanup?.();
});

describe('pass 2 on the reanimator thread', () => {
  it('gives the same pictures as on the calling thread, frames in order, ping-pong included', async () => {
    // 2 s of another speaker over a 6 s clip cut to its first 1.2 s: ping-pong reads back
    const clip = join(dir, 'clip.mp4');
    const audio = join(dir, 'speech.wav');
    const ffmpeg = locateFfmpeg().ffmpegPath;
    await run(ffmpeg, ['-v', 'error', '-i', fixture('dub/retalking.mp4'), '-t', '1.2', clip]);
    await run(ffmpeg, ['-v', 'error', '-i', fixture('speech/jfk.wav'), '-t', '2', audio]);
    const order: { threaded: number[]; local: number[] } = { threaded: [], local: [] };
    const threaded = await dubber.dub(
      { videoPath: clip, audioPath: audio, outPath: join(dir, 'threaded.mp4') },
      { onFrame: (f) => order.threaded.push(f.outputFrame) },
    );
    const local = await dubber.dub(
      { videoPath: clip, audioPath: audio, outPath: join(dir, 'local.mp4') },
      { thread: false, onFrame: (f) => order.local.push(f.outputFrame) },
    );
    expect(threaded.dubbedSourceFrames).toBeGreaterThan(0);
    expect(threaded.frames).toBe(local.frames);
    expect(order.threaded).toEqual([...Array(threaded.frames).keys()]);
    expect(order.local).toEqual(order.threaded);
    const [a, b] = await Promise.all([decodeFrames(threaded.outPath), decodeFrames(local.outPath)]);
    expect(a.length).toBe(b.length);
    let se = 0;
    let n = 0;
    a.forEach((frame, i) => {
      const other = b[i] as Uint8Array;
      for (let p = 0; p < frame.length; p++)
        se += ((frame[p] as number) - (other[p] as number)) ** 2;
      n += frame.length;
    });
    // each dub starts afresh (the landmarker is reset), so the two are the same pictures
    expect(n).toBeGreaterThan(0);
    expect(se).toBe(0);
  }, 180_000);
});
