import ffmpeg from 'fluent-ffmpeg';
import { AbortedError, throwIfAborted } from '../core/index.ts';
import { MediaError } from './errors.ts';
import { ffmpegInputUrl, LOCAL_ONLY_INPUT_OPTIONS, type LocalInputOptions } from './input.ts';
import { locateFfmpeg } from './locate.ts';
import { pipeFfmpegOutput } from './pipe.ts';
import { type MediaInfo, probeMedia, type VideoStreamInfo } from './probe.ts';

/** One decoded video frame, 8-bit RGB. */
export interface VideoFrame {
  /** 0, 1, 2… in output order. */
  frameIndex: number;
  /** Presentation time from the start of the file, ms. */
  timeMs: number;
  width: number;
  height: number;
  /** width × height × 3 bytes, rows top to bottom (rgb24). A fresh buffer per frame. */
  rgb: Uint8Array;
}

/** Options for {@link openVideoFrames}. */
export interface VideoFramesOptions extends LocalInputOptions {
  /**
   * Output frame rate: a number resamples to exactly that constant rate (ffmpeg's `fps`
   * filter: frames duplicated or dropped by timestamp, so variable-frame-rate input gives
   * exact frame times `frameIndex × 1000 / fps`); `'source'` keeps every decoded frame with
   * its own timestamp. Default 25.
   */
  fps?: number | 'source';
  /** Longest side of the output in px; larger frames are downscaled (aspect kept). Default: none. */
  maxSize?: number;
  /**
   * Only output frames `first … first + count − 1` (indices in the order the frames would
   * otherwise be output, after the `fps` resampling): exact, by frame number, at the cost of
   * decoding everything before `first`. Their `frameIndex` keeps the full-sequence index.
   * Default: every frame.
   */
  select?: { first: number; count: number };
  signal?: AbortSignal;
}

export const VIDEO_FRAMES_DEFAULTS = Object.freeze({ fps: 25 as number | 'source' });

/** A decode in progress: stream facts up front, frames as they are decoded. */
export interface VideoFrames extends AsyncIterable<VideoFrame> {
  readonly info: MediaInfo;
  readonly video: VideoStreamInfo;
  /** Output frame size (after rotation, pixel-aspect correction and `maxSize`). */
  readonly width: number;
  readonly height: number;
  /** Output rate; for `'source'` the source's average rate (frames keep their own times). */
  readonly fps: number;
  /** Expected number of output frames (from the duration; exact count known only at the end). */
  readonly expectedFrames: number | undefined;
}

/**
 * Decodes a local video's first video stream to RGB frames through ffmpeg (fluent-ffmpeg,
 * rawvideo rgb24 on a pipe). Rotation metadata is applied (ffmpeg's autorotate), non-square
 * pixels are made square, and the output is resampled to a constant `fps` unless
 * `fps: 'source'`. Memory stays bounded: ffmpeg blocks while the consumer is not reading.
 * Inputs are local files only (same checks as audio). Breaking out of the loop or aborting
 * the signal stops ffmpeg.
 *
 * @example
 * const video = await openVideoFrames('talk.mp4', { fps: 25, maxSize: 512 });
 * for await (const frame of video) track(frame.rgb, frame.width, frame.height);
 */
export async function openVideoFrames(
  path: string,
  options: VideoFramesOptions = {},
): Promise<VideoFrames> {
  const fps = options.fps ?? VIDEO_FRAMES_DEFAULTS.fps;
  if (fps !== 'source' && !(fps > 0 && fps <= 1000)) {
    throw new RangeError(`fps must be in (0, 1000] or 'source', got ${fps}`);
  }
  throwIfAborted(options.signal);
  const info = await probeMedia(path, options);
  const video = info.video;
  if (!video || !(video.width > 0 && video.height > 0)) {
    throw new MediaError('MEDIA_NO_VIDEO', `${path} has no video stream`);
  }
  const quarterTurns = Math.round(video.rotationDeg / 90);
  const swapped = Math.abs(quarterTurns) % 2 === 1;
  const displayWidth = Math.max(1, Math.round(video.width * video.sampleAspectRatio));
  let width = swapped ? video.height : displayWidth;
  let height = swapped ? displayWidth : video.height;
  if (options.maxSize !== undefined && Math.max(width, height) > options.maxSize) {
    const f = options.maxSize / Math.max(width, height);
    width = Math.max(1, Math.round(width * f));
    height = Math.max(1, Math.round(height * f));
  }
  const outputFps = fps === 'source' ? video.fps : fps;
  const durationMs = video.durationMs ?? info.durationMs;
  const expectedFrames =
    durationMs !== undefined && Number.isFinite(outputFps)
      ? Math.round((durationMs / 1000) * outputFps)
      : undefined;
  const select = options.select;
  if (
    select &&
    !(
      Number.isInteger(select.first) &&
      select.first >= 0 &&
      Number.isInteger(select.count) &&
      select.count > 0
    )
  ) {
    throw new RangeError(
      `select needs an integer first ≥ 0 and count > 0, got ${JSON.stringify(select)}`,
    );
  }
  const run = { info, video, width, height, fps, select, signal: options.signal };
  return {
    info,
    video,
    width,
    height,
    fps: outputFps,
    expectedFrames,
    [Symbol.asyncIterator]: () => decodeFrames(run)[Symbol.asyncIterator](),
  };
}

interface DecodeRun {
  info: MediaInfo;
  video: VideoStreamInfo;
  width: number;
  height: number;
  fps: number | 'source';
  select: { first: number; count: number } | undefined;
  signal: AbortSignal | undefined;
}

async function* decodeFrames(run: DecodeRun): AsyncGenerator<VideoFrame> {
  throwIfAborted(run.signal);
  const { ffmpegPath } = locateFfmpeg();
  const { width, height } = run;
  const filters = [
    ...(run.fps === 'source' ? [] : [`fps=fps=${run.fps}`]),
    // Frame numbers are counted after the rate conversion; dropped frames are never scaled.
    ...(run.select
      ? [`select='between(n,${run.select.first},${run.select.first + run.select.count - 1})'`]
      : []),
    `scale=${width}:${height}:flags=bicubic`,
    'setsar=1',
    'format=rgb24',
    // showinfo prints each output frame's pts_time (stderr), which 'source' mode reports;
    // without its per-plane checksums (they doubled ffmpeg's decode CPU at 512²).
    ...(run.fps === 'source' ? ['showinfo=checksum=0'] : []),
  ];
  const command = ffmpeg({ stdoutLines: 0 })
    .setFfmpegPath(ffmpegPath)
    .input(ffmpegInputUrl(run.info.path))
    .inputOptions(['-nostdin', ...LOCAL_ONLY_INPUT_OPTIONS])
    .outputOptions([
      '-v',
      run.fps === 'source' ? 'info' : 'error',
      '-map',
      `0:${run.video.index}`,
      '-an',
      '-sn',
      '-dn',
      '-vf',
      filters.join(','),
      '-vsync',
      // Selected frames keep their gaps in time: cfr would fill them with duplicates.
      run.fps === 'source' || run.select ? 'passthrough' : 'cfr',
      ...(run.select ? ['-frames:v', String(run.select.count)] : []),
      '-pix_fmt',
      'rgb24',
    ])
    .format('rawvideo');

  const times: number[] = [];
  const timeWaiters: (() => void)[] = [];
  let failure: Error | undefined;
  let stderrText = '';
  let finished = false;
  const done = new Promise<void>((resolve) => {
    command.on('stderr', (line: string) => {
      const match = / pts_time:\s*(-?[\d.]+)/.exec(line);
      if (match && line.includes('showinfo')) {
        times.push(Number(match[1]) * 1000);
        for (const wake of timeWaiters.splice(0)) wake();
      }
    });
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      stderrText = stderr ?? '';
      failure = error;
      finished = true;
      for (const wake of timeWaiters.splice(0)) wake();
      resolve();
    });
    command.on('end', (_stdout: string | null, stderr: string | null) => {
      stderrText = stderr ?? '';
      finished = true;
      for (const wake of timeWaiters.splice(0)) wake();
      resolve();
    });
  });
  const onAbort = () => command.kill('SIGKILL');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  const output = pipeFfmpegOutput(command);
  const frameBytes = width * height * 3;
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  const firstIndex = run.select?.first ?? 0;
  let frameIndex = firstIndex;
  const timeOf = async (index: number): Promise<number> => {
    if (run.fps !== 'source') return (index * 1000) / run.fps;
    const k = index - firstIndex;
    while (times.length <= k && !finished) {
      await new Promise<void>((resolve) => timeWaiters.push(resolve));
    }
    return times[k] ?? (index * 1000) / run.video.fps;
  };
  try {
    for await (const piece of output) {
      let offset = 0;
      while (offset < piece.length) {
        const take = Math.min(frameBytes - filled, piece.length - offset);
        frame.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          const timeMs = await timeOf(frameIndex);
          yield { frameIndex, timeMs, width, height, rgb: frame };
          frameIndex++;
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    await done;
    if (run.signal?.aborted) {
      throw new AbortedError('video decode aborted', { cause: run.signal.reason });
    }
    if (failure) {
      const reason =
        stderrText
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.includes('showinfo'))
          .pop() ?? failure.message;
      throw new MediaError(
        'MEDIA_UNREADABLE',
        `could not decode video of ${run.info.path}: ${reason}`,
        {
          cause: failure,
        },
      );
    }
  } finally {
    run.signal?.removeEventListener('abort', onAbort);
    if (!finished) command.kill('SIGKILL');
  }
}
