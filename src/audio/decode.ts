import ffmpeg from 'fluent-ffmpeg';
import { AbortedError, throwIfAborted } from '../core/index.ts';
import {
  type AudioStreamInfo,
  ffmpegInputUrl,
  LOCAL_ONLY_INPUT_OPTIONS,
  type LocalInputOptions,
  locateFfmpeg,
  type MediaInfo,
  pipeFfmpegOutput,
  probeMedia,
} from '../media/index.ts';
import { AudioError } from './errors.ts';
import { PIPELINE_SAMPLE_RATE, type PipelineSampleRate } from './pcm.ts';
import { Resampler } from './resample.ts';

/** Options for decoding an audio (or video) file to 16 kHz mono Float32. */
export interface DecodeOptions extends LocalInputOptions {
  /** Shorter audio is rejected with AUDIO_TOO_SHORT. Default 300 ms. */
  minDurationMs?: number;
  /** Longer audio is rejected with AUDIO_TOO_LONG. Default 1 hour. */
  maxDurationMs?: number;
  signal?: AbortSignal;
}

export const DECODE_DEFAULTS: Readonly<Required<Omit<DecodeOptions, 'signal' | 'maxBytes'>>> =
  Object.freeze({ minDurationMs: 300, maxDurationMs: 3_600_000 });

/** What the source file was, before decoding. */
export interface AudioSource {
  path: string;
  formatName: string;
  codec: string;
  sampleRate: number;
  channels: number;
  bitsPerSample: number | undefined;
  /** Duration the container declares (estimates for some formats, e.g. MP3 from bitrate). */
  declaredDurationMs: number | undefined;
  hasVideo: boolean;
}

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: PipelineSampleRate;
  durationMs: number;
  source: AudioSource;
  /** Non-fatal decoder complaints (e.g. a damaged frame that was skipped). */
  warnings: string[];
}

/** A decode in progress: source facts up front, 16 kHz mono chunks as they arrive. */
export interface AudioReader extends AsyncIterable<Float32Array> {
  readonly source: AudioSource;
  /** Decoder complaints collected so far (complete once iteration has finished). */
  readonly warnings: readonly string[];
}

/**
 * Opens any file ffmpeg can read (wav, mp3, m4a, ogg, a video's audio track…) and streams it
 * as 16 kHz mono Float32 chunks, resampled by the same {@link Resampler} as live input.
 * Memory stays bounded: ffmpeg's output is consumed as it is produced.
 *
 * @example
 * const reader = await openAudio('talk.mp4');
 * for await (const chunk of reader) features.process(chunk);
 */
export async function openAudio(path: string, options: DecodeOptions = {}): Promise<AudioReader> {
  const { minDurationMs, maxDurationMs } = { ...DECODE_DEFAULTS, ...options };
  throwIfAborted(options.signal);
  const info = await probeMedia(path, options);
  const stream = requireAudio(info, path);
  const source: AudioSource = {
    path: info.path,
    formatName: info.formatName,
    codec: stream.codec,
    sampleRate: stream.sampleRate,
    channels: stream.channels,
    bitsPerSample: stream.bitsPerSample,
    declaredDurationMs: stream.durationMs,
    hasVideo: info.video !== undefined,
  };
  if (stream.durationMs !== undefined && stream.durationMs > maxDurationMs + 1000) {
    throw tooLong(stream.durationMs, maxDurationMs);
  }
  const warnings: string[] = [];
  const iterate = () =>
    decodeChunks(info, stream, { minDurationMs, maxDurationMs, signal: options.signal, warnings });
  return {
    source,
    warnings,
    [Symbol.asyncIterator]: () => iterate()[Symbol.asyncIterator](),
  };
}

/**
 * Decodes a whole file into memory as 16 kHz mono Float32.
 *
 * @example
 * const { samples, durationMs } = await decodeAudioFile('speech.mp3');
 */
export async function decodeAudioFile(
  path: string,
  options: DecodeOptions = {},
): Promise<DecodedAudio> {
  const reader = await openAudio(path, options);
  const chunks: Float32Array[] = [];
  let length = 0;
  for await (const chunk of reader) {
    chunks.push(chunk);
    length += chunk.length;
  }
  const samples = new Float32Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    samples.set(chunk, offset);
    offset += chunk.length;
  }
  return {
    samples,
    sampleRate: PIPELINE_SAMPLE_RATE,
    durationMs: (length / PIPELINE_SAMPLE_RATE) * 1000,
    source: reader.source,
    warnings: [...reader.warnings],
  };
}

function requireAudio(info: MediaInfo, path: string): AudioStreamInfo {
  if (!info.audio) {
    throw new AudioError(
      'AUDIO_NO_STREAM',
      `${path} has no audio stream${info.video ? ' (it is a video without sound)' : ''}`,
    );
  }
  if (!(info.audio.sampleRate > 0) || info.audio.channels < 1) {
    throw new AudioError(
      'AUDIO_DECODE_FAILED',
      `${path}: audio stream has no valid sample rate or channel count`,
    );
  }
  return info.audio;
}

function tooLong(durationMs: number, maxDurationMs: number): AudioError {
  return new AudioError(
    'AUDIO_TOO_LONG',
    `audio is ${(durationMs / 1000).toFixed(1)} s long; the limit is ${(maxDurationMs / 1000).toFixed(0)} s`,
    { details: { durationMs, maxDurationMs } },
  );
}

interface DecodeRun {
  minDurationMs: number;
  maxDurationMs: number;
  signal: AbortSignal | undefined;
  warnings: string[];
}

async function* decodeChunks(
  info: MediaInfo,
  stream: AudioStreamInfo,
  run: DecodeRun,
): AsyncGenerator<Float32Array> {
  throwIfAborted(run.signal);
  const { ffmpegPath } = locateFfmpeg();
  const resampler = new Resampler(stream.sampleRate, PIPELINE_SAMPLE_RATE);
  const channels = stream.channels;
  const frameBytes = 4 * channels;
  const command = ffmpeg({ stdoutLines: 0 })
    .setFfmpegPath(ffmpegPath)
    .input(ffmpegInputUrl(info.path))
    .inputOptions(['-nostdin', '-v', 'error', ...LOCAL_ONLY_INPUT_OPTIONS])
    // Channels are kept and averaged here: ffmpeg's own stereo→mono downmix adds gain.
    .outputOptions(['-map', `0:${stream.index}`, '-vn', '-sn', '-dn', '-ac', String(channels)])
    .audioCodec('pcm_f32le')
    .format('f32le');

  let failure: Error | undefined;
  let stderrText = '';
  let finished = false;
  const done = new Promise<void>((resolve) => {
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      stderrText = stderr ?? '';
      failure = error;
      finished = true;
      resolve();
    });
    command.on('end', (_stdout: string | null, stderr: string | null) => {
      stderrText = stderr ?? '';
      finished = true;
      resolve();
    });
  });
  const onAbort = () => command.kill('SIGKILL');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  const output = pipeFfmpegOutput(command);

  let carry = new Uint8Array(0);
  let produced = 0;
  const maxSamples = (run.maxDurationMs / 1000) * PIPELINE_SAMPLE_RATE;
  try {
    for await (const piece of output) {
      let bytes: Uint8Array = piece;
      if (carry.length > 0) {
        bytes = new Uint8Array(carry.length + piece.length);
        bytes.set(carry, 0);
        bytes.set(piece, carry.length);
      }
      const usable = bytes.length - (bytes.length % frameBytes);
      carry = bytes.slice(usable);
      if (usable === 0) continue;
      const out = resampler.process(
        downmix(new Float32Array(bytes.slice(0, usable).buffer), channels),
      );
      produced += out.length;
      if (produced > maxSamples + PIPELINE_SAMPLE_RATE) {
        command.kill('SIGKILL');
        throw tooLong((produced / PIPELINE_SAMPLE_RATE) * 1000, run.maxDurationMs);
      }
      if (out.length > 0) yield out;
    }
    await done;
    if (run.signal?.aborted)
      throw new AbortedError('audio decode aborted', { cause: run.signal.reason });
    if (failure) {
      // Audio that decoded well short of its declared length before the decoder gave up
      // was cut off: the same code as a clean cut.
      run.warnings.push(lastLine(stderrText) || failure.message);
      if (produced > 0) checkTruncated(produced, info, stream, run);
      const reason = lastLine(stderrText) || failure.message;
      throw new AudioError('AUDIO_DECODE_FAILED', `could not decode the audio: ${reason}`, {
        cause: failure,
      });
    }
    const tail = resampler.flush();
    produced += tail.length;
    if (tail.length > 0) yield tail;
    run.warnings.push(
      ...stderrText
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .slice(0, 20),
    );
    checkDuration(produced, info, stream, run);
  } finally {
    run.signal?.removeEventListener('abort', onAbort);
    if (!finished) command.kill('SIGKILL');
  }
}

function checkTruncated(
  produced: number,
  info: MediaInfo,
  stream: AudioStreamInfo,
  run: DecodeRun,
): void {
  const decodedMs = (produced / PIPELINE_SAMPLE_RATE) * 1000;
  const declared = stream.durationMs;
  // A file that stops well short of the duration its header declares, with the decoder
  // or the prober complaining (an MP3 whose Xing header counts more frames than the file
  // holds decodes cleanly, but ffprobe notes the mismatch), was cut off.
  const complaints = run.warnings.length + info.warnings.length;
  if (declared !== undefined && decodedMs < declared * 0.9 - 100 && complaints > 0) {
    throw new AudioError(
      'AUDIO_TRUNCATED',
      `audio stops at ${(decodedMs / 1000).toFixed(2)} s but the file declares ${(declared / 1000).toFixed(2)} s: it looks truncated or corrupt`,
      {
        details: {
          decodedMs,
          declaredMs: declared,
          decoder: [...info.warnings, ...run.warnings].slice(0, 3),
        },
      },
    );
  }
}

function checkDuration(
  produced: number,
  info: MediaInfo,
  stream: AudioStreamInfo,
  run: DecodeRun,
): void {
  checkTruncated(produced, info, stream, run);
  const decodedMs = (produced / PIPELINE_SAMPLE_RATE) * 1000;
  if (decodedMs < run.minDurationMs) {
    throw new AudioError(
      'AUDIO_TOO_SHORT',
      `audio is ${(decodedMs / 1000).toFixed(2)} s long; at least ${(run.minDurationMs / 1000).toFixed(2)} s is needed`,
      { details: { durationMs: decodedMs, minDurationMs: run.minDurationMs } },
    );
  }
  if (decodedMs > run.maxDurationMs + 1000) throw tooLong(decodedMs, run.maxDurationMs);
}

/** Averages interleaved channels; non-finite samples (corrupt float data) become 0. */
function downmix(interleaved: Float32Array, channels: number): Float32Array {
  const frames = interleaved.length / channels;
  const out = new Float32Array(frames);
  for (let i = 0, k = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++, k++) {
      const v = interleaved[k] as number;
      if (Number.isFinite(v)) acc += v;
    }
    out[i] = acc / channels;
  }
  return out;
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
