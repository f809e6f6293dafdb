import type { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { MediaError } from './errors.ts';
import { ffmpegInputUrl, LOCAL_ONLY_INPUT_OPTIONS } from './input.ts';
import { locateFfmpeg } from './locate.ts';

/** Audio is resampled to this rate before AAC encoding (exact samples per 25 fps frame: 1920). */
export const MP4_AUDIO_SAMPLE_RATE = 48_000;

/** One ffmpeg run of {@link Mp4Writer} (src/media encode.ts): the H.264 encode or the audio mux. */
export interface Encoding {
  /** Settles when ffmpeg exits; rejects with FFMPEG_FAILED on a non-zero exit. */
  exited: Promise<void>;
  /** ffmpeg's stdin once it has started (rejects when it ends or fails first). */
  stdin: Promise<Writable>;
  /** SIGKILLs ffmpeg now, or as soon as it starts (fluent-ffmpeg spawns asynchronously). */
  kill(): void;
}

/** What the video encode needs of the writer's options. */
export interface VideoEncodeOptions {
  width: number;
  height: number;
  fps: number;
  preset: string;
  crf: number;
  threads: number;
  x264Params?: string | undefined;
}

/** An audio file encoded in the same ffmpeg run as the video (see {@link startVideoEncoding}). */
export interface AudioAlongside {
  path: string;
  /** Output samples at {@link MP4_AUDIO_SAMPLE_RATE}: the audio is padded or cut to exactly this. */
  samples: number;
  bitrateKbps: number;
}

/**
 * Starts the H.264 encode of raw RGB frames from stdin; with `audio`, that file is encoded as
 * AAC in the same run (no second run after the last frame).
 */
export function startVideoEncoding(
  outPath: string,
  options: VideoEncodeOptions,
  audio?: AudioAlongside,
): Encoding {
  const { ffmpegPath } = locateFfmpeg();
  // Frames go straight to ffmpeg's stdin (see Mp4Writer.writeFrame), not through a stream
  // fluent-ffmpeg pipes: a write's callback says when its buffer may be reused.
  const command = ffmpeg({ stdoutLines: 0 })
    .setFfmpegPath(ffmpegPath)
    .input('pipe:0')
    .inputFormat('rawvideo')
    .inputOptions([
      '-v',
      'error',
      '-pix_fmt',
      'rgb24',
      '-video_size',
      `${options.width}x${options.height}`,
      '-framerate',
      String(options.fps),
    ]);
  if (audio) {
    command.input(ffmpegInputUrl(audio.path)).inputOptions([...LOCAL_ONLY_INPUT_OPTIONS]);
  }
  command
    .outputOptions([
      '-map',
      '0:v:0',
      ...(audio ? ['-map', '1:a:0', ...aacOptions(audio.samples, audio.bitrateKbps)] : ['-an']),
      '-c:v',
      'libx264',
      '-preset',
      options.preset,
      '-crf',
      String(options.crf),
      '-threads',
      String(options.threads),
      ...(options.x264Params === undefined ? [] : ['-x264-params', options.x264Params]),
      // RGB → BT.709 limited-range 4:2:0, tagged so players convert it back correctly.
      '-vf',
      'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p',
      '-color_primaries',
      'bt709',
      '-color_trc',
      'bt709',
      '-colorspace',
      'bt709',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
    ])
    .output(outPath);
  return run(command, 'video encoding');
}

export function startAudioMux(
  videoPath: string,
  audioPath: string,
  samples: number,
  outPath: string,
  options: { audioBitrateKbps: number },
): Encoding {
  const { ffmpegPath } = locateFfmpeg();
  const command = ffmpeg({ stdoutLines: 0 })
    .setFfmpegPath(ffmpegPath)
    .input(videoPath)
    .inputOptions(['-nostdin', '-v', 'error', ...LOCAL_ONLY_INPUT_OPTIONS])
    .input(ffmpegInputUrl(audioPath))
    .inputOptions([...LOCAL_ONLY_INPUT_OPTIONS])
    .outputOptions([
      '-map',
      '0:v:0',
      '-map',
      '1:a:0',
      '-c:v',
      'copy',
      ...aacOptions(samples, options.audioBitrateKbps),
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
    ])
    .output(outPath);
  return run(command, 'audio mux');
}

/** AAC of exactly `samples` samples at {@link MP4_AUDIO_SAMPLE_RATE}: padded with silence, then cut. */
function aacOptions(samples: number, bitrateKbps: number): string[] {
  return [
    '-af',
    `aresample=${MP4_AUDIO_SAMPLE_RATE},apad,atrim=end_sample=${samples}`,
    '-c:a',
    'aac',
    '-b:a',
    `${bitrateKbps}k`,
  ];
}

let runs = 0;

/** How many encodes and muxes this process has started (tests: one run when the audio goes alongside). */
export function encoderRunCount(): number {
  return runs;
}

function run(command: ffmpeg.FfmpegCommand, what: string): Encoding {
  runs++;
  let state: 'starting' | 'running' | 'exited' = 'starting';
  let killRequested = false;
  let started: (stdin: Writable) => void = () => {};
  const stdin = new Promise<Writable>((resolveStdin) => {
    started = resolveStdin;
  });
  command.on('start', () => {
    state = 'running';
    if (killRequested) command.kill('SIGKILL');
    // fluent-ffmpeg's child process (not in its types).
    const child = (command as unknown as { ffmpegProc: { stdin: Writable } }).ffmpegProc;
    // A write to a pipe ffmpeg closed fails; ffmpeg's own exit reports why.
    child.stdin.on('error', () => {});
    started(child.stdin);
  });
  const exited = new Promise<void>((resolveExit, reject) => {
    command.on('end', () => {
      state = 'exited';
      resolveExit();
    });
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      state = 'exited';
      const reason = lastLine(stderr ?? '') || error.message;
      reject(new MediaError('FFMPEG_FAILED', `${what} failed: ${reason}`, { cause: error }));
    });
  });
  // Observed by the writer; this keeps an early failure from being an unhandled rejection.
  exited.catch(() => {});
  const whenStarted = Promise.race([
    stdin,
    exited.then(() => {
      throw new MediaError('ENCODE_CLOSED', `${what}: ffmpeg ended before it started`);
    }),
  ]);
  whenStarted.catch(() => {});
  command.run();
  return {
    exited,
    stdin: whenStarted,
    kill() {
      killRequested = true;
      if (state === 'running') command.kill('SIGKILL');
    },
  };
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
