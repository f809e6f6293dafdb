import { openAudio, PIPELINE_SAMPLE_RATE } from '../audio/index.ts';
import { openVideoFrames } from '../media/index.ts';
import { DubError } from './errors.ts';

/** Limits on what a dub accepts. */
export interface DubLimits {
  /** Longest video, ms. */
  maxVideoDurationMs: number;
  /** Longest audio, ms. */
  maxAudioDurationMs: number;
  /** Largest frame, pixels. */
  maxFramePixels: number;
}

/** What the inputs of a dub are, measured up front. */
export interface DubInputs {
  video: {
    /** Display size of the frames (after rotation and pixel-aspect correction), px. */
    width: number;
    height: number;
    /** Duration the container declares, ms (undefined when it does not say). */
    durationMs: number | undefined;
  };
  audio: {
    /** Exact duration (decoded to the end), ms. */
    durationMs: number;
    /** Digital silence throughout (−60 dBFS peak): every mouth will close. */
    silent: boolean;
    /** The decoded samples (16 kHz mono), when asked for with `keepPcm`. */
    pcm?: Float32Array;
  };
}

/**
 * Checks a dub's inputs before any heavy work: the video has a video stream within the size
 * and duration limits (MEDIA_NO_VIDEO, MEDIA_UNREADABLE, DUB_VIDEO_TOO_LARGE,
 * DUB_VIDEO_TOO_LONG), and the audio decodes to the end within its limit (AUDIO_NO_STREAM,
 * AUDIO_TRUNCATED, AUDIO_TOO_SHORT, AUDIO_TOO_LONG …). Silent audio is accepted (the mouth
 * closes) and reported.
 */
export async function inspectDubInputs(
  videoPath: string,
  audioPath: string,
  limits: DubLimits,
  signal?: AbortSignal,
  options: { keepPcm?: boolean } = {},
): Promise<DubInputs> {
  // both at once (the dub waits for them before pass 1); the video's errors come first, and
  // stop the audio's decode
  const stopAudio = new AbortController();
  const audioSignal = signal ? AbortSignal.any([signal, stopAudio.signal]) : stopAudio.signal;
  const videoChecked = inspectVideo(videoPath, limits, signal);
  videoChecked.catch(() => stopAudio.abort());
  const [video, audio] = await Promise.allSettled([
    videoChecked,
    measureAudio(audioPath, limits, audioSignal, options.keepPcm === true),
  ]);
  if (video.status === 'rejected') throw video.reason;
  if (audio.status === 'rejected') throw audio.reason;
  return { video: video.value, audio: audio.value };
}

async function inspectVideo(
  videoPath: string,
  limits: DubLimits,
  signal: AbortSignal | undefined,
): Promise<DubInputs['video']> {
  const source = await openVideoFrames(videoPath, { fps: 'source', signal });
  const { width, height } = source;
  if (width * height > limits.maxFramePixels) {
    throw new DubError(
      'DUB_VIDEO_TOO_LARGE',
      `the video is ${width}×${height}; at most ${limits.maxFramePixels} pixels per frame are accepted`,
      { details: { width, height, maxFramePixels: limits.maxFramePixels } },
    );
  }
  const durationMs = source.video.durationMs ?? source.info.durationMs;
  if (durationMs !== undefined && durationMs > limits.maxVideoDurationMs) {
    throw new DubError(
      'DUB_VIDEO_TOO_LONG',
      `the video lasts ${(durationMs / 1000).toFixed(1)} s; at most ${limits.maxVideoDurationMs / 1000} s is accepted`,
      { details: { durationMs, maxDurationMs: limits.maxVideoDurationMs } },
    );
  }
  return { width, height, durationMs };
}

async function measureAudio(
  audioPath: string,
  limits: DubLimits,
  signal: AbortSignal | undefined,
  keepPcm: boolean,
): Promise<DubInputs['audio']> {
  const reader = await openAudio(audioPath, { signal, maxDurationMs: limits.maxAudioDurationMs });
  let samples = 0;
  let peak = 0;
  const kept: Float32Array[] = [];
  for await (const chunk of reader) {
    samples += chunk.length;
    if (keepPcm) kept.push(chunk);
    for (let i = 0; i < chunk.length; i++) {
      const v = Math.abs(chunk[i] as number);
      if (v > peak) peak = v;
    }
  }
  const measured = { durationMs: (samples / PIPELINE_SAMPLE_RATE) * 1000, silent: peak < 1e-3 };
  return keepPcm ? { ...measured, pcm: joined(kept, samples) } : measured;
}

function joined(chunks: Float32Array[], samples: number): Float32Array {
  const out = new Float32Array(samples);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
