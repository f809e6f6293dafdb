import { z } from 'zod';
import type { PipelineSampleRate } from '../audio/index.ts';
import { TtsError } from './errors.ts';

/** Options of one synthesis call; validated by {@link synthesisOptionsSchema}. */
export const synthesisOptionsSchema = z
  .object({
    /** Provider voice id (espeak: a language voice such as `en-us`, optionally `+variant`, e.g. `en-us+f3`). Default: the provider's voice for `language`. */
    voice: z.string().min(1).max(100).optional(),
    /** BCP-47-ish language tag used when `voice` is absent. Default `en-us`. */
    language: z.string().min(1).max(35).optional(),
    /** Speaking-rate multiplier: 1 is the voice's normal speed. Default 1, range 0.5–2.5. */
    rate: z.number().min(0.5).max(2.5).optional(),
    /** Pitch multiplier: 1 is the voice's normal pitch. Default 1, range 0.1–1.9. */
    pitch: z.number().min(0.1).max(1.9).optional(),
  })
  .strict();

export type SynthesisOptions = z.infer<typeof synthesisOptionsSchema> & { signal?: AbortSignal };

/** A phoneme (provider's symbol; espeak: IPA with stress marks) and where it sounds in the audio. */
export interface PhonemeEvent {
  phoneme: string;
  startMs: number;
  endMs: number;
}

/** A word of the input text and where it sounds in the audio. */
export interface WordEvent {
  text: string;
  startMs: number;
  endMs: number;
}

/** Synthesised speech in the pipeline's format (16 kHz mono Float32). */
export interface SynthesisResult {
  samples: Float32Array;
  sampleRate: PipelineSampleRate;
  durationMs: number;
  /** Phoneme timing, when the provider reports it (espeak does; most cloud APIs give words only). */
  phonemes?: PhonemeEvent[];
  words?: WordEvent[];
  /** The voice actually used. */
  voice: string;
}

export interface VoiceInfo {
  /** What to pass as `voice` (in a {@link VoiceCatalog}: `engine:name`). */
  id: string;
  name: string;
  /** Language tags the voice speaks, most specific first. */
  languages: string[];
  /** The engine that speaks it (`espeak`, `flite`, `festival`, `rhvoice`, a cloud name). */
  engine: string;
  /** Licence terms of the engine and the voice data, in a few words (SPDX ids where they exist). */
  terms: string;
  gender?: 'female' | 'male';
  /** Whether the provider reports phoneme timing for this voice. */
  phonemeTiming?: boolean;
}

/**
 * A text-to-speech engine. Implementations: the embedded espeak-ng provider
 * ({@link EspeakTts}); cloud providers plug in through {@link registerTtsProvider}.
 */
export interface TtsProvider {
  /** Stable provider id (`espeak`, or the registered cloud name). */
  readonly id: string;
  synthesize(text: string, options?: SynthesisOptions): Promise<SynthesisResult>;
  voices(): Promise<VoiceInfo[]>;
  /** Releases the provider's resources. Idempotent. */
  close(): Promise<void>;
}

/** Validates synthesis options at the boundary (HTTP body, CLI flags). */
export function parseSynthesisOptions(raw: unknown): z.infer<typeof synthesisOptionsSchema> {
  const result = synthesisOptionsSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TtsError(
      'TTS_BAD_OPTIONS',
      `invalid TTS option ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown problem'}`,
    );
  }
  return result.data;
}

/**
 * Throws TTS_EMPTY_TEXT when the text has nothing a voice could speak (no letter or digit:
 * emoji, punctuation, white space). Providers call it, and so do edges that accept text for
 * later synthesis, so such text is refused at once.
 */
export function assertSpeakable(text: string): void {
  if (!/[\p{L}\p{N}]/u.test(text)) {
    throw new TtsError('TTS_EMPTY_TEXT', 'the text has nothing to speak (no letters or digits)');
  }
}
