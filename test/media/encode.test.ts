import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/index.ts';
import { AbortedError, FacecastError } from '../../src/core/index.ts';
import { encoderRunCount } from '../../src/media/encode-ffmpeg.ts';
import {
  locateFfmpeg,
  MediaError,
  Mp4Writer,
  probeMedia,
  X264_FOOTAGE_PARAMS,
} from '../../src/media/index.ts';
import { ffmpeg, fixture, tempDir, x264Settings } from '../helpers/media.ts';

const run = promisify(execFile);
const W = 96;
const H = 64;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

/** A frame with a smooth gradient and a square that moves with `index`. */
function testFrame(index: number): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const inSquare = x >= index * 2 && x < index * 2 + 16 && y >= 20 && y < 36;
      rgb[o] = inSquare ? 230 : (x * 255) / W;
      rgb[o + 1] = inSquare ? 40 : (y * 255) / H;
      rgb[o + 2] = inSquare ? 40 : 128;
    }
  }
  return rgb;
}

async function decodeFrames(path: string): Promise<Uint8Array> {
  const { stdout } = await run(
    locateFfmpeg().ffmpegPath,
    ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return new Uint8Array(stdout);
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] as number) - (b[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('.'));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FacecastError);
    return (error as FacecastError).code;
  }
  throw new Error('expected an error');
}

describe('Mp4Writer', () => {
  it('writes H.264 yuv420p at 25 fps that decodes back to the frames, with faststart', async () => {
    const out = join(dir, 'silent.mp4');
    const writer = await Mp4Writer.open(out, { width: W, height: H, crf: 12 });
    const reused = new Uint8Array(W * H * 3);
    for (let i = 0; i < 30; i++) {
      reused.set(testFrame(i));
      await writer.writeFrame(reused); // the same buffer every time: the writer must copy
    }
    const summary = await writer.finish();
    expect(summary).toEqual({ path: out, frames: 30, durationMs: 1200, hasAudio: false });
    const info = await probeMedia(out);
    expect(info.video).toMatchObject({ codec: 'h264', width: W, height: H, fps: 25 });
    expect(info.video?.frameCount).toBe(30);
    expect(info.audio).toBeUndefined();
    const { stdout } = await run(locateFfmpeg().ffprobePath, [
      '-v',
      'error',
      '-show_entries',
      'stream=pix_fmt,color_space',
      '-of',
      'csv=p=0',
      out,
    ]);
    expect(stdout.trim()).toBe('yuv420p,bt709');
    const bytes = await readFile(out);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
    const decoded = await decodeFrames(out);
    expect(decoded.length).toBe(30 * W * H * 3);
    for (const i of [0, 17, 29]) {
      const frame = decoded.subarray(i * W * H * 3, (i + 1) * W * H * 3);
      expect(psnr(frame, testFrame(i))).toBeGreaterThan(32);
    }
    expect(await leftovers()).toEqual([]);
  });

  it('bounds memory: writeFrame waits while ffmpeg is behind, the queue never exceeds its bound', async () => {
    const width = 480;
    const height = 360;
    const frameBytes = width * height * 3;
    // A slow encoder (crf 0, slow preset) on noise: ffmpeg falls behind the JS side at once.
    const writer = await Mp4Writer.open(join(dir, 'queue.mp4'), {
      width,
      height,
      crf: 0,
      preset: 'slow',
      queueFrames: 2,
    });
    const noise = new Uint8Array(frameBytes);
    let seed = 1;
    let maxQueued = 0;
    let waited = 0;
    for (let i = 0; i < 16; i++) {
      for (let k = 0; k < noise.length; k += 7) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        noise[k] = seed >>> 24;
      }
      const t = performance.now();
      await writer.writeFrame(noise);
      if (performance.now() - t > 5) waited++;
      maxQueued = Math.max(maxQueued, writer.queuedBytes);
    }
    await writer.finish();
    expect(maxQueued).toBeLessThanOrEqual((2 * 2 + 1) * frameBytes);
    expect(waited).toBeGreaterThan(0);
    expect((await probeMedia(join(dir, 'queue.mp4'))).video?.frameCount).toBe(16);
  });

  it('frames larger than the pipe stay intact while queued (pooled buffers are reused only once taken)', async () => {
    const width = 480;
    const height = 360;
    // A bar at a different place in every frame; 518 KB a frame, far more than a pipe holds.
    const frame = (i: number, out: Uint8Array) => {
      out.fill(30);
      for (let y = 0; y < height; y++) {
        for (let x = i * 16; x < i * 16 + 24; x++)
          out.fill(220, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
      return out;
    };
    const out = join(dir, 'pooled.mp4');
    const writer = await Mp4Writer.open(out, { width, height, crf: 10, queueFrames: 2 });
    const reused = new Uint8Array(width * height * 3);
    for (let i = 0; i < 24; i++) await writer.writeFrame(frame(i, reused));
    await writer.finish();
    const decoded = await decodeFrames(out);
    expect(decoded.length).toBe(24 * width * height * 3);
    const expected = new Uint8Array(width * height * 3);
    for (let i = 0; i < 24; i++) {
      const got = decoded.subarray(i * reused.length, (i + 1) * reused.length);
      expect(psnr(got, frame(i, expected))).toBeGreaterThan(35);
    }
  });

  it('muxes longer audio cut to exactly the video length, as AAC 48 kHz', async () => {
    const out = join(dir, 'cut.mp4');
    const writer = await Mp4Writer.open(out, {
      width: W,
      height: H,
      audioPath: fixture('speech/jfk.wav'), // 11 s
    });
    for (let i = 0; i < 37; i++) await writer.writeFrame(testFrame(i));
    const summary = await writer.finish();
    expect(summary.durationMs).toBe(1480);
    const info = await probeMedia(out);
    expect(info.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000 });
    // AAC codes 1024-sample frames: the track ends within one frame (21.3 ms) of the video.
    expect(Math.abs((info.audio?.durationMs ?? 0) - 1480)).toBeLessThanOrEqual(21.4);
    expect(info.video?.frameCount).toBe(37);
    expect(await leftovers()).toEqual([]);
  });

  it('encodes the audio in the video run when the expected frames come: one ffmpeg run, same length', async () => {
    const out = join(dir, 'alongside.mp4');
    const runs = encoderRunCount();
    const writer = await Mp4Writer.open(out, {
      width: W,
      height: H,
      audioPath: fixture('speech/jfk.wav'), // 11 s
      expectedFrames: 37,
    });
    const frames = Array.from({ length: 37 }, (_, i) => testFrame(i));
    for (const frame of frames) await writer.writeFrame(frame);
    const summary = await writer.finish();
    expect(encoderRunCount()).toBe(runs + 1);
    expect(summary).toMatchObject({ durationMs: 1480, hasAudio: true });
    const info = await probeMedia(out);
    expect(info.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000 });
    expect(Math.abs((info.audio?.durationMs ?? 0) - 1480)).toBeLessThanOrEqual(21.4);
    expect(info.video?.frameCount).toBe(37);
    // the pictures are those of a video-only encode, byte for byte
    const alone = await Mp4Writer.open(join(dir, 'alone.mp4'), { width: W, height: H });
    for (const frame of frames) await alone.writeFrame(frame);
    await alone.finish();
    expect(
      Buffer.compare(await decodeFrames(out), await decodeFrames(join(dir, 'alone.mp4'))),
    ).toBe(0);
    expect(await leftovers()).toEqual([]);
  });

  it('muxes the audio again at the real length when fewer or more frames come than expected', async () => {
    for (const expectedFrames of [50, 20]) {
      const out = join(dir, `unexpected-${expectedFrames}.mp4`);
      const runs = encoderRunCount();
      const writer = await Mp4Writer.open(out, {
        width: W,
        height: H,
        audioPath: fixture('speech/jfk.wav'),
        expectedFrames,
      });
      for (let i = 0; i < 37; i++) await writer.writeFrame(testFrame(i));
      expect((await writer.finish()).durationMs).toBe(1480);
      expect(encoderRunCount()).toBe(runs + 2);
      const info = await probeMedia(out);
      expect(Math.abs((info.audio?.durationMs ?? 0) - 1480)).toBeLessThanOrEqual(21.4);
      expect(info.video?.frameCount).toBe(37);
    }
    expect(await leftovers()).toEqual([]);
  });

  it('pads shorter audio with silence to the video length', async () => {
    const tone = new Float32Array(16_000 * 0.4).map((_, i) => 0.3 * Math.sin(i * 0.2));
    const wav = join(dir, 'short.wav');
    await writeFile(wav, encodeWav(tone, 16_000));
    const out = join(dir, 'padded.mp4');
    const writer = await Mp4Writer.open(out, { width: W, height: H, audioPath: wav });
    for (let i = 0; i < 50; i++) await writer.writeFrame(testFrame(i % 40));
    await writer.finish();
    const info = await probeMedia(out);
    expect(Math.abs((info.audio?.durationMs ?? 0) - 2000)).toBeLessThanOrEqual(21.4);
    // The padding is silence: decode the last second and check it is quiet.
    const { stdout } = await run(
      locateFfmpeg().ffmpegPath,
      ['-v', 'error', '-ss', '1', '-i', out, '-vn', '-f', 'f32le', '-ac', '1', 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
    );
    const tail = new Float32Array(new Uint8Array(stdout).buffer);
    expect(tail.length).toBeGreaterThan(40_000);
    expect(Math.max(...tail.map(Math.abs))).toBeLessThan(0.01);
  });

  it('close() kills ffmpeg mid-stream and leaves no file behind; it is idempotent', async () => {
    const out = join(dir, 'aborted.mp4');
    const writer = await Mp4Writer.open(out, {
      width: W,
      height: H,
      audioPath: fixture('speech/jfk.wav'),
    });
    for (let i = 0; i < 10; i++) await writer.writeFrame(testFrame(i));
    await Promise.all([writer.close(), writer.close()]);
    await writer.close();
    expect(await codeOf(writer.writeFrame(testFrame(0)))).toBe('ENCODE_CLOSED');
    expect(await codeOf(writer.finish())).toBe('ENCODE_CLOSED');
    expect((await readdir(dir)).includes('aborted.mp4')).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('an aborted signal stops the writer with AbortedError and removes partial output', async () => {
    const out = join(dir, 'signal.mp4');
    const controller = new AbortController();
    const writer = await Mp4Writer.open(out, {
      width: W,
      height: H,
      signal: controller.signal,
    });
    await writer.writeFrame(testFrame(0));
    controller.abort(new Error('user cancelled'));
    await writer.close();
    await expect(writer.writeFrame(testFrame(1))).rejects.toBeInstanceOf(AbortedError);
    expect(await leftovers()).toEqual([]);
    expect((await readdir(dir)).includes('signal.mp4')).toBe(false);
  });

  it('encodes with x264 veryfast at crf 18 by default, x264Params over it, colours kept', async () => {
    // x264 writes its settings into the stream (an SEI text): what ffmpeg was actually told.
    const patches = [
      [230, 30, 30],
      [30, 200, 40],
      [40, 50, 220],
      [128, 128, 128],
    ];
    const frame = new Uint8Array(W * H * 3);
    for (let p = 0; p < W * H; p++)
      frame.set(patches[Math.floor(((p % W) * 4) / W)] as number[], p * 3);
    const encode = async (name: string, x264Params?: string) => {
      const out = join(dir, name);
      const writer = await Mp4Writer.open(out, { width: W, height: H, x264Params });
      for (let i = 0; i < 5; i++) await writer.writeFrame(frame);
      await writer.finish();
      return out;
    };
    const byDefault = await x264Settings(await encode('default.mp4'));
    expect(byDefault).toMatch(/ subme=2 /);
    expect(byDefault).toMatch(/ me=hex /);
    expect(byDefault).toMatch(/ crf=18\.0 /);
    expect(byDefault).toMatch(/ rc_lookahead=10 /);
    expect(byDefault).toMatch(/ analyse=0x3:0x113 /); // P/B sub-partitions searched
    const tuned = await encode('tuned.mp4', X264_FOOTAGE_PARAMS);
    expect(await x264Settings(tuned)).toMatch(/ analyse=0x3:0x3 me=hex subme=1 /);
    // BT.709 limited range back to RGB: each patch's centre keeps its colour within 4 levels.
    const { stdout } = await run(
      locateFfmpeg().ffmpegPath,
      [
        '-v',
        'error',
        '-i',
        tuned,
        '-frames:v',
        '1',
        '-vf',
        'scale=in_color_matrix=bt709:in_range=tv',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ],
      { encoding: 'buffer' },
    );
    for (const [k, colour] of patches.entries()) {
      const o = ((H / 2) * W + Math.floor(((k + 0.5) * W) / 4)) * 3;
      const got = [...stdout.subarray(o, o + 3)];
      for (let c = 0; c < 3; c++)
        expect(Math.abs((got[c] as number) - (colour[c] as number))).toBeLessThanOrEqual(4);
    }
    expect(
      await codeOf(
        Mp4Writer.open(join(dir, 'x.mp4'), { width: W, height: H, x264Params: 'subme=1 -y' }),
      ),
    ).toBe('ENCODE_BAD_OPTIONS');
  });

  it('rejects bad options, bad frames and empty videos with stable codes', async () => {
    expect(await codeOf(Mp4Writer.open(join(dir, 'x.mp4'), { width: 97, height: 64 }))).toBe(
      'ENCODE_BAD_OPTIONS',
    );
    expect(
      await codeOf(Mp4Writer.open(join(dir, 'no/such/folder.mp4'), { width: W, height: H })),
    ).toBe('ENCODE_BAD_OPTIONS');
    const silentVideo = join(dir, 'video-only.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=32x32:d=0.2', '-c:v', 'mpeg4', silentVideo]);
    expect(
      await codeOf(
        Mp4Writer.open(join(dir, 'x.mp4'), { width: W, height: H, audioPath: silentVideo }),
      ),
    ).toBe('ENCODE_BAD_OPTIONS');
    expect(
      await codeOf(
        Mp4Writer.open(join(dir, 'x.mp4'), { width: W, height: H, audioPath: join(dir, 'none') }),
      ),
    ).toBe('MEDIA_NOT_FOUND');

    const writer = await Mp4Writer.open(join(dir, 'bad.mp4'), { width: W, height: H });
    const error = await writer.writeFrame(new Uint8Array(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe('ENCODE_BAD_FRAME');
    expect((error as MediaError).kind).toBe('input');
    expect(await codeOf(writer.finish())).toBe('ENCODE_NO_FRAMES');
    expect((await readdir(dir)).includes('bad.mp4')).toBe(false);
    expect(await leftovers()).toEqual([]);
  });
});
