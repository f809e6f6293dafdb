import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { AvatarLibrary } from '../avatars/index.ts';
import { type JobPaths, type JobRecord, moveIntoJob } from '../jobs/index.ts';
import { assertSpeakable, TtsError, type TtsProvider } from '../tts/index.ts';
import {
  DEFAULT_SIZE_PX,
  type VideoJobInput,
  type VideoJobResult,
  videoJobInputSchema,
} from './job.ts';
import { inspectSpeech } from './speech.ts';

/** Folder and file names inside a video job's `input/`. */
const AVATAR_DIR = 'avatar';
const AUDIO_FILE = 'audio';

/** A request for a video, as the HTTP edge (or any other client) hands it over. */
export interface VideoRequest {
  avatarId: string;
  speech:
    | {
        type: 'audio' /** An uploaded file, moved into the job (or left where it is when refused). */;
        path: string;
      }
    | { type: 'text'; text: string; voice?: string; language?: string; rate?: number };
  /** Longer side of the video, px. Default 512. */
  sizePx?: number;
  /** Idle-motion seed. Default: random (reported in the job). */
  seed?: number;
}

/** Limits checked when a video job is accepted. */
export interface SubmitLimits {
  /** Longest speech, ms. */
  maxAudioMs: number;
}

/** Any job queue that accepts video jobs (it may run other kinds too, e.g. dubs). */
export interface VideoJobQueue<I = VideoJobInput, R = VideoJobResult> {
  submit(
    input: VideoJobInput | ((paths: JobPaths) => Promise<VideoJobInput>),
  ): Promise<JobRecord<I, R>>;
}

/**
 * Accepts a video job: checks everything that can be checked up front (the avatar exists,
 * the audio decodes to the end within the limits and is not silent, the TTS voice exists),
 * then stores a private copy of the avatar and the audio with the job. Errors are the
 * domains' own (AVATAR_NOT_FOUND, AUDIO_TRUNCATED, AUDIO_SILENT, TTS_UNKNOWN_VOICE …) and
 * leave nothing behind.
 */
export async function submitVideoJob<I, R>(
  queue: VideoJobQueue<I, R>,
  avatars: AvatarLibrary,
  request: VideoRequest,
  options: { limits: SubmitLimits; tts?: () => Promise<TtsProvider>; signal?: AbortSignal },
): Promise<JobRecord<I, R>> {
  const { signal } = options;
  const { speech } = request;
  if (speech.type === 'text') assertSpeakable(speech.text);
  await avatars.get(request.avatarId);
  if (speech.type === 'text' && speech.voice && options.tts) {
    await checkVoice(await options.tts(), speech.voice);
  }
  const base = {
    avatarId: request.avatarId,
    avatarDir: AVATAR_DIR,
    sizePx: request.sizePx ?? DEFAULT_SIZE_PX,
    seed: request.seed ?? randomInt(0, 2 ** 31 - 1),
  };
  // Validate the cheap parts before writing anything.
  if (speech.type === 'text') {
    const input = videoJobInputSchema.parse({ ...base, speech: withoutUndefined(speech) });
    return queue.submit(async (paths) => {
      await avatars.copyTo(request.avatarId, join(paths.inputDir, AVATAR_DIR));
      return input;
    });
  }
  videoJobInputSchema.parse({
    ...base,
    speech: { type: 'audio', file: AUDIO_FILE, durationMs: 1 },
  });
  return queue.submit(async (paths) => {
    const audioPath = join(paths.inputDir, AUDIO_FILE);
    await moveIntoJob(speech.path, audioPath);
    const info = await inspectSpeech(audioPath, {
      maxDurationMs: options.limits.maxAudioMs,
      ...(signal ? { signal } : {}),
    });
    await avatars.copyTo(request.avatarId, join(paths.inputDir, AVATAR_DIR));
    return {
      ...base,
      speech: {
        type: 'audio',
        file: AUDIO_FILE,
        durationMs: Math.round(info.durationMs * 1000) / 1000,
      },
    };
  });
}

/**
 * The voice must name one the provider lists (by id or language tag); a `+variant` suffix
 * is checked by the provider when it speaks.
 */
async function checkVoice(tts: TtsProvider, voice: string): Promise<void> {
  const base = voice.split('+')[0]?.toLowerCase() ?? '';
  const voices = await tts.voices();
  const known = voices.some((v) => v.id.toLowerCase() === base || v.languages.includes(base));
  if (!known) {
    throw new TtsError(
      'TTS_UNKNOWN_VOICE',
      `no voice "${voice}" (GET /v1/voices lists them; e.g. ${voices
        .slice(0, 5)
        .map((v) => v.id)
        .join(', ')})`,
    );
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
