import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  locateFfmpeg,
  Mp4Writer,
  type Mp4WriterOptions,
  X264_FOOTAGE_PARAMS,
} from '../../src/media/index.ts';
import { type Bench, childCpuMs, machineLine, table } from './harness.ts';

const run = promisify(execFile);
const SIZE = 512;
const FPS = 25;
const FRAMES = 200;
const ROUNDS = 5;
/** Held-out talking-head footage (what video avatars and dubbing encode), upscaled to 512². */
const HELDOUT_CLIPS = ['katiehill_256', 'edmarkey_256', 'german_256'];
const AVATAR = 'test/fixtures/avatars/s42';
const SPEECH = 'test/fixtures/speech/jfk.wav';
/** The writer's RGB → BT.709 limited 4:2:0 conversion (src/media/encode-ffmpeg.ts). */
const TO_YUV = 'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p';

interface Clip {
  name: string;
  /** FRAMES packed RGB frames, SIZE². */
  rgb: Buffer;
}

/** An encoder setting under test, through Mp4Writer (video avatars use one x264 thread). */
interface Arm {
  name: string;
  options: Partial<Mp4WriterOptions>;
}

const ARMS: Arm[] = [
  { name: 'default (veryfast, crf 18)', options: {} },
  { name: 'preset superfast', options: { preset: 'superfast' } },
  { name: 'subme=1', options: { x264Params: 'subme=1' } },
  { name: 'me=dia', options: { x264Params: 'me=dia' } },
  { name: 'partitions=i8x8,i4x4', options: { x264Params: 'partitions=i8x8,i4x4' } },
  { name: 'rc-lookahead=0 (no mbtree)', options: { x264Params: 'rc-lookahead=0' } },
  { name: 'bframes=1', options: { x264Params: 'bframes=1' } },
  { name: '8x8dct=0', options: { x264Params: '8x8dct=0' } },
  { name: 'partitions=p8x8,i8x8,i4x4', options: { x264Params: 'partitions=p8x8,i8x8,i4x4' } },
  {
    name: `X264_FOOTAGE_PARAMS (${X264_FOOTAGE_PARAMS})`,
    options: { x264Params: X264_FOOTAGE_PARAMS },
  },
  {
    name: 'partitions=i8x8,i4x4:subme=1:me=dia',
    options: { x264Params: 'partitions=i8x8,i4x4:subme=1:me=dia' },
  },
];

/** `SIZE²` RGB frames of a video (scaled), the first FRAMES. */
async function decode(path: string): Promise<Buffer> {
  const { stdout } = await run(
    locateFfmpeg().ffmpegPath,
    [
      ...['-v', 'error', '-i', path, '-frames:v', String(FRAMES)],
      ...['-vf', `scale=${SIZE}:${SIZE}:flags=bicubic`, '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: FRAMES * SIZE * SIZE * 3 + 1024 },
  );
  if (stdout.length !== FRAMES * SIZE * SIZE * 3) throw new Error(`${path}: too few frames`);
  return stdout;
}

/** Encodes the clip through Mp4Writer; ffmpeg's CPU ms (user + sys of the child). */
async function encode(clip: Clip, arm: Arm, out: string): Promise<number> {
  const before = childCpuMs();
  const writer = await Mp4Writer.open(out, {
    width: SIZE,
    height: SIZE,
    threads: 1,
    ...arm.options,
  });
  const frameBytes = SIZE * SIZE * 3;
  for (let i = 0; i < FRAMES; i++) {
    await writer.writeFrame(clip.rgb.subarray(i * frameBytes, (i + 1) * frameBytes));
  }
  await writer.finish();
  return childCpuMs() - before;
}

/** ffmpeg reading the clip's raw RGB on stdin with `args` after it; its CPU ms. */
async function rawRun(clip: Clip, args: string[]): Promise<number> {
  const before = childCpuMs();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(locateFfmpeg().ffmpegPath, [
      ...['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
      ...['-video_size', `${SIZE}x${SIZE}`, '-framerate', String(FPS), '-i', 'pipe:0', ...args],
    ]);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}`))));
    child.stdin.end(clip.rgb);
  });
  return childCpuMs() - before;
}

/** PSNR (dB) and SSIM of the decoded MP4 (BT.709 back to RGB) against the input frames. */
async function quality(
  clip: Clip,
  mp4: string,
  dir: string,
): Promise<{ psnr: number; ssim: number }> {
  const measure = async (filter: 'psnr' | 'ssim'): Promise<number> => {
    const { stderr } = await new Promise<{ stderr: string }>((resolve, reject) => {
      const child = spawn(locateFfmpeg().ffmpegPath, [
        ...['-i', mp4, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${SIZE}x${SIZE}`],
        ...['-framerate', String(FPS), '-i', 'pipe:0', '-lavfi'],
        `[0:v]scale=in_color_matrix=bt709:in_range=tv,format=rgb24[a];[a][1:v]${filter}`,
        ...['-f', 'null', '-'],
      ]);
      let text = '';
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('error', reject);
      child.on('exit', () => resolve({ stderr: text }));
      child.stdin.end(clip.rgb);
    });
    const match = filter === 'psnr' ? /average:([\d.]+)/.exec(stderr) : /All:([\d.]+)/.exec(stderr);
    if (!match) throw new Error(`no ${filter} in ffmpeg's output (${dir})`);
    return Number(match[1]);
  };
  return { psnr: await measure('psnr'), ssim: await measure('ssim') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function photoAvatarVideo(dir: string): Promise<string> {
  const out = join(dir, 'photo-avatar.mp4');
  await run(process.execPath, [
    ...['bin/facecast', 'render', '--image', AVATAR, '--audio', SPEECH],
    ...['--out', out, '--size', String(SIZE)],
  ]);
  return out;
}

/**
 * The x264 encode every MP4 goes through (Mp4Writer): 200 decoded 512² frames of each of three
 * held-out talking-head clips (upscaled) and of a rendered photo-avatar video, encoded with
 * several settings (timing only: nothing is tuned on these clips).
 * ffmpeg's CPU seconds per second of video (user + sys of the child, median of ROUNDS
 * interleaved rounds), file size, PSNR / SSIM of the decoded output against the input frames.
 */
export const encodeBench: Bench = {
  id: 'encode',
  onlyWhenNamed: true,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-encode-'));
    try {
      const loadBefore = load();
      const clips: Clip[] = [
        ...(await Promise.all(
          HELDOUT_CLIPS.map(async (stem) => ({
            name: `${stem} (held out) → 512²`,
            rgb: await decode(`test/fixtures/heldout/clips/${stem}.mp4`),
          })),
        )),
        { name: 'photo avatar (render s42)', rgb: await decode(await photoAvatarVideo(dir)) },
      ];
      const videoS = FRAMES / FPS;
      // fluent-ffmpeg probes ffmpeg's capabilities once: outside the timed runs.
      await encode(clips[0] as Clip, ARMS[0] as Arm, join(dir, 'warmup.mp4'));
      const rows: (string | number)[][] = [];
      for (const clip of clips) {
        const cpu = ARMS.map(() => [] as number[]);
        for (let round = 0; round < ROUNDS; round++) {
          for (const [i, arm] of ARMS.entries()) {
            cpu[i]?.push(await encode(clip, arm, join(dir, `arm${i}.mp4`)));
          }
        }
        const base = { cpu: median(cpu[0] ?? []), bytes: 0, psnr: 0 };
        for (const [i, arm] of ARMS.entries()) {
          const mp4 = join(dir, `arm${i}.mp4`);
          const cpuMs = median(cpu[i] ?? []);
          const bytes = (await stat(mp4)).size;
          const q = await quality(clip, mp4, dir);
          if (i === 0) Object.assign(base, { bytes, psnr: q.psnr });
          rows.push([
            clip.name,
            arm.name,
            (cpuMs / 1000 / videoS).toFixed(3),
            `${(((cpuMs - base.cpu) / base.cpu) * 100).toFixed(0)} %`,
            `${(bytes / 1024).toFixed(0)} KiB (${(((bytes - base.bytes) / base.bytes) * 100).toFixed(1)} %)`,
            `${q.psnr.toFixed(2)} (${(q.psnr - base.psnr).toFixed(2)})`,
            q.ssim.toFixed(4),
          ]);
        }
      }
      const split = await conversionShare(clips[0] as Clip, videoS);
      return {
        id: 'encode',
        title: 'MP4 encode (Mp4Writer, x264): ffmpeg CPU per second of video by setting',
        body: [
          `${machineLine()}; load ${loadBefore} before, ${load()} after. ${FRAMES} frames ${SIZE}² at ${FPS} fps (${videoS} s) per clip, one x264 thread (as video avatars), crf 18; CPU = ffmpeg's user + sys (the child's, from /proc/self/stat), median of ${ROUNDS} interleaved rounds; PSNR/SSIM of the decoded MP4 (BT.709 → RGB) against the input RGB frames; Δ against the default in the same run.`,
          '',
          table(
            ['clip', 'setting', 'ffmpeg CPU s / s video', 'Δ CPU', 'file', 'PSNR dB (Δ)', 'SSIM'],
            rows,
          ),
          '',
          split,
        ].join('\n'),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Where ffmpeg's CPU goes on katiehill_256: the RGB → YUV conversion vs the x264 encode. */
async function conversionShare(clip: Clip, videoS: number): Promise<string> {
  const cases: [string, string[]][] = [
    ['read only (rawvideo → null)', ['-f', 'null', '-']],
    ["conversion only (the writer's filter)", ['-vf', TO_YUV, '-f', 'null', '-']],
    [
      'conversion only, flags=fast_bilinear',
      ['-vf', `${TO_YUV.replace('tv,', 'tv:flags=fast_bilinear,')}`, '-f', 'null', '-'],
    ],
    ['conversion + x264 veryfast (→ null)', ['-vf', TO_YUV, ...X264_ARGS, '-f', 'null', '-']],
  ];
  const cpu = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, args]] of cases.entries()) cpu[i]?.push(await rawRun(clip, args));
  }
  const rows = cases.map(([name], i) => [name, (median(cpu[i] ?? []) / 1000 / videoS).toFixed(3)]);
  return [
    `Where the CPU goes (katiehill_256, ffmpeg run directly, median of ${ROUNDS}; load ${load()}):`,
    '',
    table(['run', 'ffmpeg CPU s / s video'], rows),
  ].join('\n');
}

const X264_ARGS = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-threads', '1'];
