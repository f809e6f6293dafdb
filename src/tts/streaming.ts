/**
 * Streaming TTS: text in, speech out in pieces as the engine produces them (PCM + timings),
 * so a live session can start speaking before the whole sentence is synthesised. Cloud
 * engines stream; local ones produce a whole sentence at once, which {@link speechChunks}
 * turns into a single chunk, so callers handle every provider one way.
 */
import type {
  PhonemeEvent,
  SynthesisOptions,
  SynthesisResult,
  TtsProvider,
  WordEvent,
} from './provider.ts';

/** One piece of streamed speech, in the pipeline format (16 kHz mono Float32). */
export interface SpeechChunk {
  samples: Float32Array;
  /** Where this chunk starts in the utterance, ms. */
  startMs: number;
  /** Phonemes that became known with this chunk; times from the utterance's start, ms. */
  phonemes?: PhonemeEvent[];
  /** Words that became known with this chunk; times from the utterance's start, ms. */
  words?: WordEvent[];
}

/** A provider that can stream (cloud engines). */
export interface StreamingTtsProvider extends TtsProvider {
  /** Speech of `text` in order, as it is produced; ends when the utterance is complete. */
  stream(text: string, options?: SynthesisOptions): AsyncIterable<SpeechChunk>;
}

export function isStreamingTts(provider: TtsProvider): provider is StreamingTtsProvider {
  return typeof (provider as Partial<StreamingTtsProvider>).stream === 'function';
}

/**
 * The speech of `text` as chunks from any provider: streamed when it streams, else one
 * chunk with the whole result.
 *
 * @example
 * for await (const chunk of speechChunks(tts, 'Hello.', { voice: 'flite:slt' })) play(chunk.samples);
 */
export async function* speechChunks(
  provider: TtsProvider,
  text: string,
  options: SynthesisOptions = {},
): AsyncIterable<SpeechChunk> {
  if (isStreamingTts(provider)) {
    yield* provider.stream(text, options);
    return;
  }
  const result = await provider.synthesize(text, options);
  yield {
    samples: result.samples,
    startMs: 0,
    ...(result.phonemes ? { phonemes: result.phonemes } : {}),
    ...(result.words ? { words: result.words } : {}),
  };
}

/** Joins streamed chunks into one result (what `synthesize` of a streaming provider returns). */
export async function collectChunks(
  chunks: AsyncIterable<SpeechChunk>,
  voice: string,
): Promise<SynthesisResult> {
  const parts: Float32Array[] = [];
  const phonemes: PhonemeEvent[] = [];
  const words: WordEvent[] = [];
  for await (const chunk of chunks) {
    parts.push(chunk.samples);
    phonemes.push(...(chunk.phonemes ?? []));
    words.push(...(chunk.words ?? []));
  }
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    samples.set(p, offset);
    offset += p.length;
  }
  return {
    samples,
    sampleRate: 16_000,
    durationMs: samples.length / 16,
    ...(phonemes.length > 0 ? { phonemes } : {}),
    ...(words.length > 0 ? { words } : {}),
    voice,
  };
}
