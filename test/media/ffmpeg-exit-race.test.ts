import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { locateFfmpeg, openVideoFrames } from '../../src/media/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';

/**
 * Under load the ffmpeg process's exit can reach Node well after its output pipe has been
 * read to the end. fluent-ffmpeg reports a piped output stream that closes more than 20 ms
 * before the exit as an error ("Output stream closed"), so a complete decode failed now and
 * then on a busy machine. Here ffmpeg is wrapped in a script that closes its output and then
 * exits 300 ms late: the same ordering, every time.
 */
const CLIP = fixture('face/grid_bbaf2n.mpg'); // 3.00 s, 360×288, 25 fps, with audio
let cleanup: () => Promise<void>;
let media: typeof import('../../src/media/index.ts');
let audio: typeof import('../../src/audio/index.ts');

beforeAll(async () => {
  const { ffmpegPath } = locateFfmpeg();
  const made = await tempDir();
  cleanup = made.cleanup;
  const slowExit = join(made.dir, 'ffmpeg-slow-exit');
  await writeFile(
    slowExit,
    `#!/bin/sh\n"${ffmpegPath}" "$@"\nstatus=$?\nexec 1>&-\nsleep 0.3\nexit $status\n`,
  );
  await chmod(slowExit, 0o755);
  vi.stubEnv('FFMPEG_PATH', slowExit);
  // Fresh modules: locateFfmpeg caches the binary it found first.
  vi.resetModules();
  media = await import('../../src/media/index.ts');
  audio = await import('../../src/audio/index.ts');
  expect(media.locateFfmpeg().ffmpegPath).toBe(slowExit);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await cleanup();
});

describe('ffmpeg exiting after its output closed', () => {
  it('decodes every video frame without an error', async () => {
    const video = await media.openVideoFrames(CLIP, { maxSize: 90 });
    let count = 0;
    for await (const frame of video) {
      expect(frame.frameIndex).toBe(count);
      count++;
    }
    expect(count).toBe(75);
  });

  it('decodes the audio without an error', async () => {
    const decoded = await audio.decodeAudioFile(CLIP);
    expect(decoded.durationMs).toBeCloseTo(3000, -2);
  });
});

describe('stopping a decode early', () => {
  it('ends ffmpeg cleanly, again and again (no late error, no hang)', async () => {
    // The real ffmpeg here: the wrapper above would leave its child writing to a dead pipe.
    for (let round = 0; round < 12; round++) {
      const video = await openVideoFrames(CLIP, { maxSize: 90 });
      const seen: number[] = [];
      for await (const frame of video) {
        seen.push(frame.frameIndex);
        if (seen.length === 3 + (round % 4)) break;
      }
      expect(seen).toEqual(Array.from({ length: 3 + (round % 4) }, (_, i) => i));
    }
    // A late "Output stream closed" or kill report would surface as an unhandled error.
    await new Promise((resolve) => setTimeout(resolve, 100));
  });
});
