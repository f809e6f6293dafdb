import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/core/index.ts';
import { locateFfmpeg, MediaError, openVideoFrames, probeMedia } from '../../src/media/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';

const run = promisify(execFile);
const CLIP = fixture('face/grid_bbaf2n.mpg'); // 3.00 s, 360×288, 25 fps
let dir: string;
let cleanup: () => Promise<void>;
let vfr: string;
let rotated: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  // Variable frame rate: keep 3 of every 5 frames with their original timestamps.
  vfr = join(dir, 'vfr.mp4');
  await ffmpeg([
    '-i',
    CLIP,
    '-an',
    '-vf',
    "select='lt(mod(n,5),3)'",
    '-vsync',
    'vfr',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    vfr,
  ]);
  // Rotation metadata (a phone video held upright): stream copy, tag only.
  const mp4 = join(dir, 'plain.mp4');
  await ffmpeg(['-i', CLIP, '-an', '-c:v', 'libx264', '-preset', 'ultrafast', mp4]);
  rotated = join(dir, 'rotated.mp4');
  await ffmpeg(['-i', mp4, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
});
afterAll(() => cleanup());

async function collect(path: string, options: Parameters<typeof openVideoFrames>[1] = {}) {
  const video = await openVideoFrames(path, options);
  const frames = [];
  for await (const frame of video) frames.push(frame);
  return { video, frames };
}

describe('openVideoFrames', () => {
  it('decodes every frame of a 25 fps clip as RGB with exact 40 ms times', async () => {
    const { video, frames } = await collect(CLIP);
    expect(video.width).toBe(360);
    expect(video.height).toBe(288);
    expect(frames).toHaveLength(75);
    frames.forEach((f, i) => {
      expect(f.frameIndex).toBe(i);
      expect(f.timeMs).toBe(i * 40);
      expect(f.rgb.length).toBe(360 * 288 * 3);
    });
    // Real picture content, not a blank buffer.
    const mean = frames[10]!.rgb.reduce((s, v) => s + v, 0) / frames[10]!.rgb.length;
    expect(mean).toBeGreaterThan(20);
    expect(mean).toBeLessThan(235);
  });

  it('downscales to maxSize keeping the aspect ratio', async () => {
    const { video, frames } = await collect(CLIP, { maxSize: 180 });
    expect([video.width, video.height]).toEqual([180, 144]);
    expect(frames[0]!.rgb.length).toBe(180 * 144 * 3);
  });

  it('gives exactly 25 fps from variable-frame-rate input', async () => {
    const info = await probeMedia(vfr);
    expect(info.video!.fps).not.toBeCloseTo(25, 0);
    const { frames } = await collect(vfr, { fps: 25 });
    const durationMs = info.video!.durationMs ?? info.durationMs!;
    expect(Math.abs(frames.length - (durationMs / 1000) * 25)).toBeLessThanOrEqual(2);
    expect(frames.map((f) => f.timeMs)).toEqual(frames.map((_, i) => i * 40));
  });

  it("keeps the source frames and their timestamps with fps: 'source'", async () => {
    const { frames } = await collect(vfr, { fps: 'source' });
    expect(frames).toHaveLength(45); // 3 of every 5 of 75
    const gaps = frames.slice(1).map((f, i) => Math.round(f.timeMs - frames[i]!.timeMs));
    // Kept frames 0,1,2 of each 5: gaps of 40, 40, then 120 ms.
    expect(new Set(gaps)).toEqual(new Set([40, 120]));
  });

  it('applies rotation metadata (portrait output, picture turned)', async () => {
    const upright = await collect(CLIP, { maxSize: 360 });
    const { video, frames } = await collect(rotated);
    expect([video.width, video.height]).toEqual([288, 360]);
    // The picture is the upright frame turned a quarter turn, as ffmpeg's autorotate (what
    // players do) applies the tag; compare with both quarter turns and require one to match.
    const a = upright.frames[5]!.rgb;
    const b = frames[5]!.rgb;
    const turned = (map: (x: number, y: number) => [number, number]) => {
      let diff = 0;
      let count = 0;
      for (let y = 0; y < 360; y += 7) {
        for (let x = 0; x < 288; x += 7) {
          const [sx, sy] = map(x, y);
          diff += Math.abs((b[(y * 288 + x) * 3] as number) - (a[(sy * 360 + sx) * 3] as number));
          count++;
        }
      }
      return diff / count;
    };
    const clockwise = turned((x, y) => [y, 287 - x]);
    const counterClockwise = turned((x, y) => [359 - y, x]);
    expect(Math.min(clockwise, counterClockwise)).toBeLessThan(12); // re-encode noise only
    expect(Math.max(clockwise, counterClockwise)).toBeGreaterThan(30); // and it did turn
  });

  it('stops ffmpeg when aborted', async () => {
    const controller = new AbortController();
    const video = await openVideoFrames(CLIP, { signal: controller.signal });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const frame of video) {
        seen.push(frame.frameIndex);
        if (frame.frameIndex === 3) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(seen.length).toBeLessThan(75);
  });

  it('refuses audio-only input with MEDIA_NO_VIDEO', async () => {
    const error = await openVideoFrames(fixture('speech/jfk.wav')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe('MEDIA_NO_VIDEO');
  });

  it('leaves no ffmpeg running when the consumer stops early', async () => {
    const video = await openVideoFrames(CLIP);
    for await (const frame of video) if (frame.frameIndex === 2) break;
    // Our own ffmpeg children only (other test files run in parallel workers).
    const children = async () => {
      const { stdout } = await run('ps', ['-o', 'args=', '--ppid', String(process.pid)]);
      return stdout.split('\n').filter((line) => line.startsWith(locateFfmpeg().ffmpegPath));
    };
    let left = await children();
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await children();
    }
    expect(left).toEqual([]);
  });
});
