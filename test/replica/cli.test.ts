import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicaManifestSchema } from '../../src/replica/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { mp4Facts } from '../helpers/video.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/facecast', import.meta.url).pathname;

async function facecast(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
let avatar: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-replica-cli-'));
  // The dubbing fixture at a constant 25 fps and 256 px: 6.1 s of one person talking.
  clip = join(dir, 'clip.mp4');
  await ffmpeg(['-i', fixture('dub/retalking.mp4'), '-vf', 'fps=25,scale=256:256', '-an', clip]);
  avatar = join(dir, 'avatar');
}, 60_000);
afterAll(() => cleanup());

describe('facecast avatar create <video>', () => {
  it('tracks the clip once and stores a video avatar with a valid manifest', async () => {
    const { code, stdout, stderr } = await facecast([
      'avatar',
      'create',
      clip,
      '--out',
      avatar,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ kind: 'video', footage: { width: 256, height: 256, fps: 25 } });
    expect(report.footage.frames).toBeGreaterThanOrEqual(150);
    expect(report.usableFrames / report.storedFrames).toBeGreaterThan(0.9);
    expect(report.mouthBankEntries).toBeGreaterThan(10);
    const manifest = replicaManifestSchema.parse(
      JSON.parse(await readFile(join(avatar, 'replica.json'), 'utf8')),
    );
    expect(manifest.playback).toHaveLength(report.footage.frames);
    expect(manifest.mouthBank).toBe('mouthbank.json');
    for (const file of [
      'frames.jpg.bin',
      'frames.idx',
      'track.bin',
      'identities.bin',
      'thumbs.bin',
    ]) {
      expect(existsSync(join(avatar, file))).toBe(true);
    }
  });

  it('renders speech longer than the footage with the video avatar, exactly as long as the speech', async () => {
    const speech = join(dir, 'speech.wav');
    await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '7.5', speech]);
    const out = join(dir, 'spoken.mp4');
    const { code, stdout, stderr } = await facecast([
      'render',
      '--image',
      avatar,
      '--audio',
      speech,
      '--out',
      out,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      renderer: 'replica',
      width: 256,
      height: 256,
      frames: 188,
    });
    const facts = await mp4Facts(out);
    expect(Math.abs(facts.videoDurationMs - 7520)).toBeLessThanOrEqual(40);
  });

  it('refuses bad footage with one line, exit code 2 and its code, writing nothing', async () => {
    const short = join(dir, 'short.mp4');
    await ffmpeg(['-i', clip, '-t', '3', '-c', 'copy', short]);
    const cases: [string, string][] = [
      [short, 'REPLICA_TOO_SHORT'],
      // The original: 15 and 30 fps mixed.
      [fixture('dub/retalking.mp4'), 'REPLICA_VARIABLE_FRAME_RATE'],
    ];
    for (const [video, expected] of cases) {
      const out = join(dir, `bad-${expected}`);
      const { code, stderr } = await facecast(['avatar', 'create', video, '--out', out]);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(expected);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses a clip showing two people', async () => {
    const two = join(dir, 'two.mp4');
    await ffmpeg(['-i', clip, '-i', clip, '-filter_complex', 'hstack', '-an', two]);
    const { code, stderr } = await facecast(['avatar', 'create', two, '--out', join(dir, 'two')]);
    expect(code).toBe(2);
    expect(stderr).toContain('REPLICA_MULTIPLE_PEOPLE');
  });
});
