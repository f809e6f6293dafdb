import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { facecast } from '../helpers/cli.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { mp4Facts } from '../helpers/video.ts';

// `facecast render` as users run it: a real process, real models, real ffmpeg.

const AVATAR = fixture('avatars/s42');

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-render-cli-'));
  clip = join(dir, 'clip.mp3');
  await ffmpeg(['-i', fixture('speech/lj001_22k.wav'), '-t', '3', '-c:a', 'libmp3lame', clip]);
});
afterAll(() => cleanup());

describe('facecast render', () => {
  it('photo + audio → MP4 (H.264 + AAC, 25 fps, audio length ± 40 ms, size as asked), --json quiet', async () => {
    const out = join(dir, 'nested', 'talk.mp4');
    const { code, stdout, stderr } = await facecast([
      'render',
      '--image',
      fixture('face/portrait_s42.jpg'),
      '--audio',
      clip,
      '--out',
      out,
      '--size',
      '256',
      '--seed',
      '5',
      '--json',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout) as Record<string, number | string>;
    const audioMs = (await decodeAudioFile(clip)).durationMs;
    expect(report).toMatchObject({
      out,
      width: 256,
      height: 256,
      fps: 25,
      seed: 5,
      renderer: 'warp',
    });
    const facts = await mp4Facts(out);
    expect(facts).toMatchObject({
      videoCodec: 'h264',
      audioCodec: 'aac',
      fps: 25,
      width: 256,
      height: 256,
    });
    expect(Math.abs(facts.videoDurationMs - audioMs)).toBeLessThanOrEqual(40);
    expect(Math.abs(facts.decodedAudioMs - audioMs)).toBeLessThanOrEqual(40);
    // Only the finished file is left next to it (no partial encoder files).
    expect(await readdir(join(dir, 'nested'))).toEqual(['talk.mp4']);
  });

  it('avatar folder + text through the embedded TTS', async () => {
    const out = join(dir, 'text.mp4');
    const { code, stdout } = await facecast([
      'render',
      '--image',
      AVATAR,
      '--text',
      'Good morning. The weather is fine.',
      '--voice',
      'en-gb',
      '--rate',
      '1.2',
      '--out',
      out,
      '--size',
      '256',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { durationMs: number; frames: number };
    const facts = await mp4Facts(out);
    expect(facts).toMatchObject({ videoCodec: 'h264', audioCodec: 'aac', fps: 25 });
    expect(facts.frames).toBe(report.frames);
    expect(Math.abs(facts.videoDurationMs - report.durationMs)).toBeLessThanOrEqual(1);
  });

  it('bad input: exit code 2 and one clear line', async () => {
    const blank = join(dir, 'blank.png');
    await writeFile(
      blank,
      await sharp({ create: { width: 300, height: 300, channels: 3, background: '#88aacc' } })
        .png()
        .toBuffer(),
    );
    const silence = join(dir, 'silence.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '2', silence]);
    const cases: [string[], string][] = [
      [['--image', blank, '--audio', clip, '--out', join(dir, 'a.mp4')], 'FACE_NOT_FOUND'],
      [['--image', AVATAR, '--audio', silence, '--out', join(dir, 'b.mp4')], 'AUDIO_SILENT'],
      [
        [
          '--image',
          AVATAR,
          '--audio',
          fixture('face/portrait_s42.jpg'),
          '--out',
          join(dir, 'c.mp4'),
        ],
        'MEDIA_UNREADABLE',
      ],
      [['--image', AVATAR, '--out', join(dir, 'd.mp4')], 'USAGE'],
      [['--image', AVATAR, '--audio', clip, '--text', 'hi', '--out', join(dir, 'e.mp4')], 'USAGE'],
      [['--image', AVATAR, '--audio', clip, '--out', join(dir, 'f.mov')], 'USAGE'],
      [
        ['--image', AVATAR, '--audio', clip, '--out', join(dir, 'g.mp4'), '--size', '300.5'],
        'USAGE',
      ],
      [
        ['--image', AVATAR, '--audio', clip, '--out', join(dir, 'h.mp4'), '--generator', 'maybe'],
        'USAGE',
      ],
    ];
    for (const [args, expected] of cases) {
      const { code, stderr } = await facecast(['render', ...args]);
      expect({
        code,
        line: stderr.trim().split('\n').length,
        code_: stderr.split(':')[1]?.trim(),
      }).toEqual({
        code: 2,
        line: 1,
        code_: expected,
      });
    }
    expect((await readdir(dir)).filter((f) => /^[a-h]\.(mp4|mov)$/.test(f))).toEqual([]);
  });
});
