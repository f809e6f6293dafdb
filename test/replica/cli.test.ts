import { existsSync } from 'node:fs';
import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import { ReanimatorThread } from '../../src/dub/index.ts';
import { avatarFolders, createLiveStages } from '../../src/live/index.ts';
import { probeMedia } from '../../src/media/index.ts';
import { MOUTH_BANK_BLEND, MOUTH_BANK_FEATHER } from '../../src/mouthbank/index.ts';
import {
  Replica,
  ReplicaPlayer,
  ReplicaPlayerPool,
  replicaManifestSchema,
} from '../../src/replica/index.ts';
import { facecast } from '../helpers/cli.ts';
import { ffmpeg, fixture, tempDir, x264Settings } from '../helpers/media.ts';
import { mp4Facts } from '../helpers/video.ts';

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
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

// Tracking and rendering on CPU: minutes on a loaded 2-core machine.
describe('facecast avatar create <video>', { timeout: 600_000 }, () => {
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
    // Camera footage: encoded with X264_FOOTAGE_PARAMS (x264's settings SEI in the stream).
    expect(await x264Settings(out)).toMatch(/ analyse=0x3:0x3 me=hex subme=1 /);
  });

  it('renders a Controls file (a tracked performance) onto the video avatar', async () => {
    const out = join(dir, 'performance.mp4');
    const { code, stdout, stderr } = await facecast([
      'render-controls',
      '--avatar',
      avatar,
      '--controls',
      fixture('render/grid_bbaf2n.controls.csv'),
      '--out',
      out,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ renderer: 'replica', frames: 75, width: 256 });
    expect((await probeMedia(out)).video?.frameCount).toBe(75);
    expect(await x264Settings(out)).toMatch(/ analyse=0x3:0x3 me=hex subme=1 /);
  });

  it('plays as the stages of a live session: footage-sized frames that keep moving', async () => {
    const stages = await createLiveStages({ resolveAvatar: avatarFolders([dir]) });
    try {
      const opened = await stages.open('avatar', { size: 512, seed: 1 }, {});
      expect([opened.renderer.width, opened.renderer.height]).toEqual([256, 256]);
      const speech = await decodeAudioFile(fixture('speech/jfk.wav'));
      const frames = await opened.motion.process(speech.samples.subarray(0, 16_000 * 2));
      expect(frames.length).toBeGreaterThanOrEqual(45);
      const gaps: number[] = [];
      let previous: Uint8Array | undefined;
      for (const controls of frames) {
        const frame = await opened.renderer.render(controls);
        expect(frame.data.length).toBe(256 * 256 * 3);
        // The footage moves on: consecutive frames differ.
        if (previous) gaps.push(meanAbsDiff(previous, frame.data));
        previous = Uint8Array.from(frame.data);
      }
      expect(gaps.filter((g) => g > 0).length).toBeGreaterThan(gaps.length * 0.9);
      opened.motion.close();
      await opened.renderer.close();
    } finally {
      await stages.close();
    }
  });

  it('re-animates on a worker thread exactly as on the calling thread', async () => {
    const frames = async (thread: boolean, planOnCaller = true) => {
      const player = await ReplicaPlayer.open(avatar, { seed: 2, thread, planOnCaller });
      const weights = new Float32Array(BLENDSHAPE_COUNT);
      const jaw = ARKIT_BLENDSHAPES.indexOf('jawOpen');
      const out: Uint8Array[] = [];
      try {
        // Two frames in flight, as the pipeline asks for them.
        const pending: Promise<Uint8Array>[] = [];
        for (let i = 0; i < 60; i++) {
          weights[jaw] = 0.4 + 0.4 * Math.sin(i / 2);
          pending.push(player.render(weights));
          if (pending.length === 2)
            out.push(Uint8Array.from(await (pending.shift() as Promise<Uint8Array>)));
        }
        for (const p of pending) out.push(Uint8Array.from(await p));
      } finally {
        await player.close();
      }
      return out;
    };
    const here = await frames(false);
    // planned here and drawn on the thread (the default), and wholly on the thread
    for (const threaded of [await frames(true), await frames(true, false)]) {
      expect(threaded).toHaveLength(60);
      let differing = 0;
      for (let i = 0; i < here.length; i++) {
        if (Buffer.compare(here[i] as Uint8Array, threaded[i] as Uint8Array) !== 0) differing++;
      }
      expect(differing).toBe(0);
    }
    // The mouth moved: not the footage passed through.
    expect(meanAbsDiff(here[0] as Uint8Array, here[3] as Uint8Array)).toBeGreaterThan(0);
  });

  it('paints the mouth bank as mouthBankPaint says, on the thread as on the calling thread', async () => {
    const frames = async (options: Parameters<typeof ReplicaPlayer.open>[1]) => {
      const player = await ReplicaPlayer.open(avatar, { seed: 2, ...options });
      const weights = new Float32Array(BLENDSHAPE_COUNT);
      const jaw = ARKIT_BLENDSHAPES.indexOf('jawOpen');
      const out: Uint8Array[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          weights[jaw] = 0.5 + 0.3 * Math.sin(i / 2);
          out.push(Uint8Array.from(await player.render(weights)));
        }
      } finally {
        await player.close();
      }
      return Buffer.concat(out);
    };
    const defaults = await frames({});
    const explicit = { blend: MOUTH_BANK_BLEND, feather: MOUTH_BANK_FEATHER };
    expect(Buffer.compare(await frames({ mouthBankPaint: explicit }), defaults)).toBe(0);
    const single = await frames({ mouthBankPaint: { blend: 1, feather: 0 } });
    expect(Buffer.compare(single, defaults)).not.toBe(0);
    const singleHere = await frames({ mouthBankPaint: { blend: 1, feather: 0 }, thread: false });
    expect(Buffer.compare(singleHere, single)).toBe(0);
  });

  it('a pooled player, restarted, plays the frames of a newly opened one byte for byte', async () => {
    // Two in flight as the pipeline asks; long enough to pass a join or a reverse.
    const play = async (player: ReplicaPlayer, frames: number, phase: number) => {
      const weights = new Float32Array(BLENDSHAPE_COUNT);
      const jaw = ARKIT_BLENDSHAPES.indexOf('jawOpen');
      const out: Uint8Array[] = [];
      const pending: Promise<Uint8Array>[] = [];
      for (let i = 0; i < frames; i++) {
        weights[jaw] = 0.4 + 0.4 * Math.sin(i / 2 + phase);
        pending.push(player.render(weights));
        if (pending.length === 2)
          out.push(Uint8Array.from(await (pending.shift() as Promise<Uint8Array>)));
      }
      for (const p of pending) out.push(Uint8Array.from(await p));
      return out;
    };
    const fresh = await ReplicaPlayer.open(avatar, { seed: 3 });
    const expected = await play(fresh, 200, 0).finally(() => fresh.close());
    const pool = new ReplicaPlayerPool();
    try {
      // Another seed and other mouths first, stopped mid-way with a frame in flight.
      const first = await pool.acquire(avatar, { seed: 5 });
      await play(first, 77, 1);
      const open = new Float32Array(BLENDSHAPE_COUNT);
      open[ARKIT_BLENDSHAPES.indexOf('jawOpen')] = 0.8;
      void first.render(open);
      await pool.release(first);
      expect(pool.idle).toBe(1);
      const again = await pool.acquire(avatar, { seed: 3 });
      expect(again).toBe(first);
      expect(pool.idle).toBe(0);
      const played = await play(again, 200, 0);
      expect(played.some((f) => f.length === 0)).toBe(false);
      let differing = 0;
      for (let i = 0; i < expected.length; i++) {
        if (Buffer.compare(expected[i] as Uint8Array, played[i] as Uint8Array) !== 0) differing++;
      }
      expect(differing).toBe(0);
      // Other options: another player.
      const other = await pool.acquire(avatar, { seed: 3, mouthBank: false });
      expect(other).not.toBe(again);
      await pool.release(other);
      await pool.release(again);
      expect(pool.idle).toBe(2);
      // The avatar's files changed (created again in place): a newly opened player; at most
      // two idle, the oldest closed.
      const later = new Date(Date.now() + 60_000);
      await utimes(join(avatar, 'replica.json'), later, later);
      const renewed = await pool.acquire(avatar, { seed: 3 });
      expect(renewed).not.toBe(again);
      await pool.release(renewed);
      expect(pool.idle).toBe(2);
    } finally {
      await pool.close();
    }
    expect(pool.idle).toBe(0);
  });

  it('the reanimator thread refuses a frame it cannot take and frames after close', async () => {
    const replica = await Replica.load(avatar);
    const thread = await ReanimatorThread.start({ sizePx: 256 });
    try {
      const s = replica.manifest.usable.indexOf(1);
      const face = replica.face(s) as NonNullable<ReturnType<Replica['face']>>;
      const rgb = await replica.frames.read(s);
      const source = { ...face, width: 256, height: 256 };
      const weights = new Float32Array(BLENDSHAPE_COUNT);
      // A view into a larger buffer cannot be transferred without taking the rest along.
      const shared = new Uint8Array(rgb.length + 16);
      await expect(
        thread.reanimate({ ...source, rgb: shared.subarray(16) }, weights, 1),
      ).rejects.toMatchObject({ code: 'RENDER_BAD_OPTIONS' });
      const own = Uint8Array.from(rgb);
      const done = await thread.reanimate({ ...source, rgb: own }, weights, 1);
      expect(done.rgb.length).toBe(rgb.length);
      expect(own.byteLength).toBe(0); // transferred
      await thread.close();
      await expect(
        thread.reanimate({ ...source, rgb: Uint8Array.from(rgb) }, weights, 1),
      ).rejects.toMatchObject({ code: 'RENDER_CLOSED' });
    } finally {
      await thread.close();
      await replica.close();
    }
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
