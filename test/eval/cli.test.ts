import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReenactmentScores } from '../../src/eval/index.ts';
import { facecast } from '../helpers/cli.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';

const CLIP = fixture('face/grid_bbaf2n.mpg');
const TRACK = fixture('generator/grid_bbaf2n.track.json');

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

type Report = ReenactmentScores & { generatorDecision: string };

describe('facecast eval reenact', () => {
  it('scores warp-only and the generator on the same frames (cached track)', async () => {
    const r = await facecast([
      'eval',
      'reenact',
      '--video',
      CLIP,
      '--track',
      TRACK,
      '--generator',
      'on',
      '--frames',
      '10',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({
      clip: 'grid_bbaf2n.mpg',
      frames: 10,
      scoredFrames: 9,
      referenceIndex: 0,
    });
    expect([report.width, report.height]).toEqual([360, 288]);
    const { warpOnly, generator } = report;
    if (!generator) throw new Error('no generator arm');
    for (const arm of [warpOnly, generator]) {
      // A re-rendered GRID clip: recognisably the same frame, not a copy of it.
      expect(arm.psnrDb).toBeGreaterThan(20);
      expect(arm.psnrDb).toBeLessThan(50);
      expect(arm.ssim).toBeGreaterThan(0.6);
      expect(arm.ssim).toBeLessThan(1);
      expect(arm.facePsnrDb).toBeLessThan(arm.psnrDb); // the face is where the errors are
      expect(arm.frameMse).toHaveLength(9);
      expect(arm.flicker).toBeGreaterThanOrEqual(0);
    }
    expect(generator.frameMse).not.toEqual(warpOnly.frameMse);
    expect(report.generatorDecision).toMatch(/as requested/);
  });

  it('--baseline scores the renderer without the person matte on the same frames; mouth box', async () => {
    const args = ['eval', 'reenact', '--video', CLIP, '--track', TRACK, '--generator', 'off'];
    const r = await facecast([...args, '--frames', '12', '--baseline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { warpOnly, warpOnlyBaseline } = JSON.parse(r.stdout) as Report;
    if (!warpOnlyBaseline) throw new Error('no baseline arm');
    for (const arm of [warpOnly, warpOnlyBaseline]) {
      expect(arm.mouthSsim).toBeGreaterThan(0.3);
      expect(arm.mouthSsim).toBeLessThan(1);
      expect(arm.mouthPsnrDb).toBeLessThan(arm.psnrDb); // the mouth is where the errors are
    }
    expect(warpOnly.frameMse).not.toEqual(warpOnlyBaseline.frameMse);
    // GRID's background is still: holding it still must not add flicker.
    expect(warpOnly.flicker).toBeLessThanOrEqual(warpOnlyBaseline.flicker);
    const text = await facecast([...args, '--frames', '4', '--baseline']);
    expect(text.stdout).toMatch(/^warp-only 1\s+\d+\.\d\d/m);
    expect(text.stdout).toMatch(/mouth SSIM/);
  });

  it('tracks the clip itself and scores warp-only with --generator off (text output)', async () => {
    const r = await facecast([
      'eval',
      'reenact',
      '--video',
      CLIP,
      '--generator',
      'off',
      '--frames',
      '4',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /grid_bbaf2n\.mpg: 4 frames \(4 with a face\), 360×288, reference frame 0, 3 scored/,
    );
    expect(r.stdout).toMatch(/^warp-only\s+\d+\.\d\d\s+0\.\d{4}/m);
    expect(r.stdout).not.toMatch(/^generator\+SR/m);
  });

  it('fails with one clear line on bad input', async () => {
    const notVideo = join(dir, 'notes.mp4');
    await writeFile(notVideo, 'not a video at all');
    const r = await facecast(['eval', 'reenact', '--video', notVideo, '--generator', 'off']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^facecast eval: MEDIA_UNREADABLE/);
    const usage = await facecast(['eval', 'reenact', '--video', CLIP, '--generator', 'maybe']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--generator/);
    const action = await facecast(['eval', 'score', '--video', CLIP]);
    expect(action.code).toBe(2);
  });

  it('says clearly when the generator models are missing (--generator on) and when no face is found', async () => {
    const missing = await facecast([
      'eval',
      'reenact',
      '--video',
      CLIP,
      '--track',
      TRACK,
      '--generator',
      'on',
      '--model',
      join(dir, 'no-such-model'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^facecast eval: GENERATOR_UNAVAILABLE.*no-such-model/);
    // auto with the same missing folder falls back to warp-only instead of failing.
    const auto = await facecast([
      'eval',
      'reenact',
      '--video',
      CLIP,
      '--track',
      TRACK,
      '--generator',
      'auto',
      '--model',
      join(dir, 'no-such-model'),
      '--frames',
      '3',
      '--json',
    ]);
    expect(auto.code, auto.stderr).toBe(0);
    const report = JSON.parse(auto.stdout) as Report;
    expect(report.generator).toBeFalsy();
    expect(report.generatorDecision).toMatch(/^warp-only: no usable generator/);

    const blank = join(dir, 'blank.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=160x120:d=1:r=25',
      '-pix_fmt',
      'yuv420p',
      blank,
    ]);
    const noFace = await facecast(['eval', 'reenact', '--video', blank, '--generator', 'off']);
    expect(noFace.code).toBe(2);
    expect(noFace.stderr.trim().split('\n')).toHaveLength(1);
    expect(noFace.stderr).toMatch(/^facecast eval: (FACE_NOT_FOUND|EVAL_TOO_FEW_FRAMES).*face/);
  });
});
