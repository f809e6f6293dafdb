import { writeFile } from 'node:fs/promises';
import { encodeWav } from '../audio/index.ts';
import type { TtsProvider } from '../tts/index.ts';
import type { VideoJobInput } from './job.ts';

type TextSpeech = Extract<VideoJobInput['speech'], { type: 'text' }>;

/** What {@link speakToFile} wrote. */
export interface SpokenFile {
  path: string;
  durationMs: number;
  voice: string;
}

/**
 * Synthesises text with the configured TTS provider and writes it as a 16 kHz mono WAV,
 * the input of {@link renderVideo}. (The embedded espeak-ng voice is robotic by design;
 * configure a cloud provider for natural speech.)
 */
export async function speakToFile(
  tts: TtsProvider,
  speech: TextSpeech,
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<SpokenFile> {
  const result = await tts.synthesize(speech.text, {
    ...(speech.voice ? { voice: speech.voice } : {}),
    ...(speech.language ? { language: speech.language } : {}),
    ...(speech.rate ? { rate: speech.rate } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await writeFile(path, encodeWav(result.samples, result.sampleRate));
  return { path, durationMs: result.durationMs, voice: result.voice };
}
