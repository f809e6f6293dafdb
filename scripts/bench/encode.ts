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
/**
 * Training talking-head footage (not in test/fixtures/heldout/heldout.json): the decision. 512²
 * sources brought to 256² and back up to 512², as the held-out 256² clips are upscaled.
 */
const TRAINING_CLIPS = [
  'talk_sadtalker_WDA_BobMenendez_000',
  'talk_sadtalker_RD_Radio2_000',
  'talk_mimictalk_Trump_10s',
];
const TRAINING_DIR = '../shared/fixtures/train-talk';
/** Held-out talking-head footage, upscaled to 512²: the check, reported, never deciding. */
const HELDOUT_CLIPS = ['katiehill_256', 'edmarkey_256', 'german_256'];
const AVATAR = 'test/fixtures/avatars/s42';
const SPEECH = 'test/fixtures/speech/jfk.wav';

interface Clip {
  name: string;
  /** Training clips decide (against BAR); held-out ones and the photo avatar are reported. */
  decides: boolean;
  /** FRAMES packed RGB frames, SIZE². */
  rgb: Buffer;
}

/** An encoder setting under test, through Mp4Writer (video avatars use one x264 thread). */
interface Arm {
  name: string;
  options: Partial<Mp4WriterOptions>;
}

/** The decision: the default against X264_FOOTAGE_PARAMS (arm 0 is the baseline). */
const ARMS: Arm[] = [
  { name: 'default (veryfast, crf 18)', options: {} },
  {
    name: `X264_FOOTAGE_PARAMS (${X264_FOOTAGE_PARAMS})`,
    options: { x264Params: X264_FOOTAGE_PARAMS },
  },
];

/** The bar, fixed before the run, that X264_FOOTAGE_PARAMS must meet on each training clip. */
const BAR = { minCpuCutPct: 20, maxPsnrLossDb: 0.15, maxSizeGrowthPct: 8 };

/** `SIZE²` RGB frames of a video (scaled), the first FRAMES. */
async function decode(path: string, via256 = false): Promise<Buffer> {
  const scale = `scale=${SIZE}:${SIZE}:flags=bicubic`;
  const { stdout } = await run(
    locateFfmpeg().ffmpegPath,
    [
      ...['-v', 'error', '-i', path, '-frames:v', String(FRAMES)],
      ...['-vf', via256 ? `scale=256:256:flags=bicubic,${scale}` : scale],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24'],
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

async function loadClips(dir: string): Promise<Clip[]> {
  const training = TRAINING_CLIPS.map(async (stem) => ({
    name: `${stem} (training) 256² → 512²`,
    decides: true,
    rgb: await decode(join(TRAINING_DIR, `${stem}.mp4`), true),
  }));
  const heldout = HELDOUT_CLIPS.map(async (stem) => ({
    name: `${stem} (held out) → 512²`,
    decides: false,
    rgb: await decode(`test/fixtures/heldout/clips/${stem}.mp4`),
  }));
  const photo = { name: 'photo avatar (render s42)', decides: false };
  return [
    ...(await Promise.all([...training, ...heldout])),
    { ...photo, rgb: await decode(await photoAvatarVideo(dir)) },
  ];
}

interface Outcome {
  cpuPct: number;
  sizePct: number;
  psnrDb: number;
}

function verdict(o: Outcome): string {
  const pass =
    o.cpuPct <= -BAR.minCpuCutPct &&
    o.psnrDb >= -BAR.maxPsnrLossDb &&
    o.sizePct <= BAR.maxSizeGrowthPct;
  return pass ? 'pass' : 'FAIL';
}

/** One clip's rows: each arm's CPU (median of ROUNDS interleaved rounds), size, quality. */
async function clipRows(clip: Clip, dir: string, videoS: number): Promise<(string | number)[][]> {
  const cpu = ARMS.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, arm] of ARMS.entries()) {
      cpu[i]?.push(await encode(clip, arm, join(dir, `arm${i}.mp4`)));
    }
  }
  const base = { cpu: median(cpu[0] ?? []), bytes: 0, psnr: 0 };
  const rows: (string | number)[][] = [];
  for (const [i, arm] of ARMS.entries()) {
    const mp4 = join(dir, `arm${i}.mp4`);
    const cpuMs = median(cpu[i] ?? []);
    const bytes = (await stat(mp4)).size;
    const q = await quality(clip, mp4, dir);
    if (i === 0) Object.assign(base, { bytes, psnr: q.psnr });
    const o: Outcome = {
      cpuPct: ((cpuMs - base.cpu) / base.cpu) * 100,
      sizePct: ((bytes - base.bytes) / base.bytes) * 100,
      psnrDb: q.psnr - base.psnr,
    };
    rows.push([
      clip.name,
      arm.name,
      (cpuMs / 1000 / videoS).toFixed(3),
      `${o.cpuPct.toFixed(0)} %`,
      `${(bytes / 1024).toFixed(0)} KiB (${o.sizePct.toFixed(1)} %)`,
      `${q.psnr.toFixed(2)} (${o.psnrDb.toFixed(2)})`,
      q.ssim.toFixed(4),
      i === 0 ? '' : clip.decides ? verdict(o) : `(check: ${verdict(o)})`,
    ]);
  }
  return rows;
}

/**
 * The x264 encode every MP4 goes through (Mp4Writer): 200 decoded 512² frames of three training
 * talking-head clips (the decision, against BAR fixed in advance), of three held-out ones (the
 * check, never deciding) and of a rendered photo-avatar video, default vs X264_FOOTAGE_PARAMS.
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
      const clips = await loadClips(dir);
      const videoS = FRAMES / FPS;
      // fluent-ffmpeg probes ffmpeg's capabilities once: outside the timed runs.
      await encode(clips[0] as Clip, ARMS[0] as Arm, join(dir, 'warmup.mp4'));
      const rows: (string | number)[][] = [];
      for (const clip of clips) rows.push(...(await clipRows(clip, dir, videoS)));
      return {
        id: 'encode',
        title: 'MP4 encode (Mp4Writer, x264): X264_FOOTAGE_PARAMS decided on training footage',
        body: [
          `${machineLine()}; load ${loadBefore} before, ${load()} after. ${FRAMES} frames ${SIZE}² at ${FPS} fps (${videoS} s) per clip, one x264 thread (as video avatars), crf 18; CPU = ffmpeg's user + sys (the child's, from /proc/self/stat), median of ${ROUNDS} interleaved rounds; PSNR/SSIM of the decoded MP4 (BT.709 → RGB) against the input RGB frames; Δ against the default in the same run.`,
          `Bar fixed before the run, on each training clip: ≥ ${BAR.minCpuCutPct} % less ffmpeg CPU, ≤ ${BAR.maxPsnrLossDb} dB PSNR loss, ≤ ${BAR.maxSizeGrowthPct} % larger. Held-out clips and the photo avatar are reported against the same bar, deciding nothing.`,
          '',
          table(
            [
              'clip',
              'setting',
              'ffmpeg CPU s / s video',
              'Δ CPU',
              'file',
              'PSNR dB (Δ)',
              'SSIM',
              'bar',
            ],
            rows,
          ),
        ].join('\n'),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
