import { execFile } from 'node:child_process';
import { z } from 'zod';
import { MediaError } from './errors.ts';
import {
  checkLocalInput,
  ffmpegInputUrl,
  LOCAL_ONLY_INPUT_OPTIONS,
  type LocalInput,
  type LocalInputOptions,
} from './input.ts';
import { locateFfmpeg } from './locate.ts';

const numeric = z.union([z.number(), z.string()]).transform((v) => Number(v));

const ffprobeStream = z.object({
  index: z.number(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  sample_rate: numeric.optional(),
  channels: z.number().optional(),
  bits_per_raw_sample: numeric.optional(),
  sample_fmt: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  avg_frame_rate: z.string().optional(),
  sample_aspect_ratio: z.string().optional(),
  r_frame_rate: z.string().optional(),
  nb_frames: numeric.optional(),
  duration: numeric.optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.record(z.string(), z.unknown())).optional(),
});

const ffprobeOutput = z.object({
  streams: z.array(ffprobeStream).default([]),
  format: z
    .object({
      format_name: z.string().optional(),
      duration: numeric.optional(),
      size: numeric.optional(),
    })
    .optional(),
});

export interface AudioStreamInfo {
  index: number;
  codec: string;
  sampleRate: number;
  channels: number;
  /** Bits per sample of the source, where the container says (e.g. 16, 24). */
  bitsPerSample: number | undefined;
  durationMs: number | undefined;
}

export interface VideoStreamInfo {
  index: number;
  codec: string;
  width: number;
  height: number;
  /** Average frame rate (frames per second), NaN when unknown. */
  fps: number;
  /** Rotation in degrees from the display matrix, 0 when none. */
  rotationDeg: number;
  /** Pixel aspect ratio (width / height of one pixel), 1 when square or unknown. */
  sampleAspectRatio: number;
  frameCount: number | undefined;
  durationMs: number | undefined;
}

export interface MediaInfo {
  path: string;
  sizeBytes: number;
  formatName: string;
  durationMs: number | undefined;
  audio: AudioStreamInfo | undefined;
  video: VideoStreamInfo | undefined;
  /**
   * ffprobe's warnings about the file (e.g. `filesize and duration do not match`: a header
   * that declares more than the file holds), at most 10 lines.
   */
  warnings: string[];
}

/**
 * Reads container and stream facts of a local media file with ffprobe.
 * Throws `MediaError` (MEDIA_NOT_FOUND, MEDIA_EMPTY, MEDIA_TOO_LARGE, MEDIA_UNREADABLE).
 *
 * @example
 * const info = await probeMedia('speech.mp3');
 * console.log(info.audio?.sampleRate);
 */
export async function probeMedia(
  path: string,
  options: LocalInputOptions & { signal?: AbortSignal } = {},
): Promise<MediaInfo> {
  const input = await checkLocalInput(path, options);
  // a dub probes each input several times (checks, decode, mux): ffprobe once per version
  const key = `${input.absolutePath}\0${input.version}`;
  const known = probed.get(key);
  if (known) return structuredClone(known);
  const info = await runFfprobe(path, input, options.signal);
  probed.delete(key);
  probed.set(key, info);
  if (probed.size > PROBES_KEPT) probed.delete(probed.keys().next().value as string);
  return structuredClone(info);
}

/** Probes remembered (the latest), by path and file version. */
const PROBES_KEPT = 32;
const probed = new Map<string, MediaInfo>();
let ffprobeRuns = 0;

/** How many times ffprobe has run in this process (tests: a repeated probe reuses the answer). */
export function ffprobeRunCount(): number {
  return ffprobeRuns;
}

async function runFfprobe(
  path: string,
  input: LocalInput,
  signal: AbortSignal | undefined,
): Promise<MediaInfo> {
  ffprobeRuns++;
  const { ffprobePath } = locateFfmpeg();
  const args = [
    '-v',
    'warning',
    ...LOCAL_ONLY_INPUT_OPTIONS,
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    ffmpegInputUrl(input.absolutePath),
  ];
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
    (resolveOut, reject) => {
      execFile(
        ffprobePath,
        args,
        { maxBuffer: 16 * 1024 * 1024, signal, timeout: 60_000 },
        (error, out, err) => {
          if (error) {
            const reason = String(err).trim().split('\n').pop() || error.message;
            reject(
              new MediaError('MEDIA_UNREADABLE', `not a readable media file: ${path} (${reason})`, {
                cause: error,
              }),
            );
          } else resolveOut({ stdout: out, stderr: String(err) });
        },
      );
    },
  );
  let parsed: z.infer<typeof ffprobeOutput>;
  try {
    parsed = ffprobeOutput.parse(JSON.parse(stdout));
  } catch (cause) {
    throw new MediaError('MEDIA_UNREADABLE', `ffprobe gave no usable description of ${path}`, {
      cause,
    });
  }
  const audioStream = parsed.streams.find((s) => s.codec_type === 'audio');
  const videoStream = parsed.streams.find(
    (s) => s.codec_type === 'video' && s.tags?.mimetype === undefined && s.codec_name !== 'mjpeg',
  );
  const durationMs = toMs(parsed.format?.duration);
  if (!parsed.format?.format_name || (!audioStream && !videoStream)) {
    throw new MediaError('MEDIA_UNREADABLE', `no audio or video stream found in ${path}`);
  }
  return {
    path: input.absolutePath,
    sizeBytes: input.sizeBytes,
    formatName: parsed.format.format_name,
    durationMs,
    audio: audioStream && {
      index: audioStream.index,
      codec: audioStream.codec_name ?? 'unknown',
      sampleRate: audioStream.sample_rate ?? Number.NaN,
      channels: audioStream.channels ?? 0,
      bitsPerSample:
        audioStream.bits_per_raw_sample ||
        (audioStream.codec_name?.startsWith('pcm_') ? bitsOf(audioStream.sample_fmt) : undefined),
      durationMs: toMs(audioStream.duration) ?? durationMs,
    },
    video: videoStream && {
      index: videoStream.index,
      codec: videoStream.codec_name ?? 'unknown',
      width: videoStream.width ?? 0,
      height: videoStream.height ?? 0,
      fps: parseRate(videoStream.avg_frame_rate) || parseRate(videoStream.r_frame_rate),
      rotationDeg: rotationOf(videoStream),
      sampleAspectRatio: parseRatio(videoStream.sample_aspect_ratio),
      frameCount: videoStream.nb_frames,
      durationMs: toMs(videoStream.duration) ?? durationMs,
    },
    warnings: probeWarnings(stderr),
  };
}

function toMs(seconds: number | undefined): number | undefined {
  return seconds === undefined || !Number.isFinite(seconds) ? undefined : seconds * 1000;
}

function parseRate(rate: string | undefined): number {
  if (!rate) return Number.NaN;
  const [num, den] = rate.split('/').map(Number);
  if (num === undefined || !den) return Number.NaN;
  return num / den;
}

function parseRatio(ratio: string | undefined): number {
  const [num, den] = (ratio ?? '').split(':').map(Number);
  return num && den && Number.isFinite(num / den) ? num / den : 1;
}

function bitsOf(sampleFormat: string | undefined): number | undefined {
  if (!sampleFormat) return undefined;
  const match = /^(u8|s16|s32|s64|flt|dbl)/.exec(sampleFormat);
  const table: Record<string, number> = { u8: 8, s16: 16, s32: 32, s64: 64, flt: 32, dbl: 64 };
  return match?.[1] ? table[match[1]] : undefined;
}

function rotationOf(stream: z.infer<typeof ffprobeStream>): number {
  const fromTag = Number(stream.tags?.rotate);
  if (Number.isFinite(fromTag)) return fromTag;
  for (const side of stream.side_data_list ?? []) {
    const rotation = Number(side.rotation);
    if (Number.isFinite(rotation)) return rotation;
  }
  return 0;
}

/** ffprobe's warning lines without the `[demuxer @ 0x…]` prefix, at most 10. */
function probeWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim())
    .filter(Boolean)
    .slice(0, 10);
}
