/**
 * What the local command-line engines (flite, festival, RHVoice) share: one
 * {@link TtsProvider} class over a small per-engine driver. The driver lists voices and turns
 * one text into a WAV file plus whatever timing the engine reports; this class validates the
 * text and options, resolves the voice, decodes and resamples to the pipeline's format.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav, PIPELINE_SAMPLE_RATE, resample } from '../audio/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { TtsError } from './errors.ts';
import {
  assertSpeakable,
  type PhonemeEvent,
  parseSynthesisOptions,
  type SynthesisOptions,
  type SynthesisResult,
  type TtsProvider,
  type VoiceInfo,
  type WordEvent,
} from './provider.ts';

/** One synthesis request to a driver (text cleaned, voice resolved, options validated). */
export interface EngineRequest {
  text: string;
  /** The engine's own voice name (a {@link VoiceInfo.id} of the driver's list). */
  voice: string;
  /** Speaking-rate multiplier, 1 = normal. */
  rate: number;
  /** Pitch multiplier, 1 = normal (only when `supportsPitch`). */
  pitch: number;
  /** Where the driver writes its WAV file (its folder is the call's scratch folder). */
  wavPath: string;
  signal?: AbortSignal;
}

/** What a driver reports besides the WAV file: timings in ms from the audio's start. */
export interface EngineTimings {
  phonemes?: PhonemeEvent[];
  words?: WordEvent[];
}

/** A local engine's command-line driver. */
export interface EngineDriver {
  /** Engine id: the `engine` of its voices and the prefix of `engine:voice`. */
  readonly engine: string;
  /** Whether `pitch` ≠ 1 is honoured (else it is refused with TTS_BAD_OPTIONS). */
  readonly supportsPitch: boolean;
  readonly voices: readonly VoiceInfo[];
  /** The voice used when none is given. */
  readonly defaultVoice: string;
  synthesize(request: EngineRequest): Promise<EngineTimings>;
  /** Releases a long-lived engine process, if the driver keeps one. */
  close?(): void;
}

/** Options of the local engine providers. */
export interface EngineTtsOptions {
  /** Longest text accepted, in characters. Default 5000. */
  maxTextLength?: number;
}

/**
 * A local engine as a {@link TtsProvider}: 16 kHz mono output with the engine's phoneme and
 * word timing (when it reports them). Each call runs the engine once in a scratch folder.
 */
export class EngineTts implements TtsProvider {
  readonly id: string;
  readonly #driver: EngineDriver;
  readonly #maxTextLength: number;
  #closed = false;

  constructor(driver: EngineDriver, options: EngineTtsOptions = {}) {
    this.id = driver.engine;
    this.#driver = driver;
    this.#maxTextLength = options.maxTextLength ?? 5000;
  }

  async voices(): Promise<VoiceInfo[]> {
    return [...this.#driver.voices];
  }

  async synthesize(text: string, options: SynthesisOptions = {}): Promise<SynthesisResult> {
    if (this.#closed)
      throw new TtsError('TTS_SYNTHESIS_FAILED', `the ${this.id} provider is closed`);
    const { signal, ...rest } = options;
    const opts = parseSynthesisOptions(rest);
    const clean = checkText(text, this.#maxTextLength);
    if (opts.pitch !== undefined && opts.pitch !== 1 && !this.#driver.supportsPitch)
      throw new TtsError('TTS_BAD_OPTIONS', `${this.id} voices cannot change pitch`);
    const voice = this.#resolveVoice(opts.voice, opts.language);
    throwIfAborted(signal);
    const dir = await mkdtemp(join(tmpdir(), `facecast-${this.id}-`));
    try {
      const wavPath = join(dir, 'speech.wav');
      const timings = await this.#driver.synthesize({
        text: clean,
        voice,
        rate: opts.rate ?? 1,
        pitch: opts.pitch ?? 1,
        wavPath,
        ...(signal ? { signal } : {}),
      });
      const bytes = await readFile(wavPath).catch((cause: unknown) => {
        throw new TtsError('TTS_SYNTHESIS_FAILED', `${this.id} wrote no audio`, { cause });
      });
      const wav = decodeWav(bytes);
      const samples = resample(wav.samples, wav.sampleRate, PIPELINE_SAMPLE_RATE);
      return {
        samples,
        sampleRate: PIPELINE_SAMPLE_RATE,
        durationMs: (samples.length / PIPELINE_SAMPLE_RATE) * 1000,
        ...timings,
        voice,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#driver.close?.();
  }

  #resolveVoice(voice: string | undefined, language: string | undefined): string {
    const voices = this.#driver.voices;
    if (voice !== undefined) {
      const found = voices.find((v) => v.id.toLowerCase() === voice.toLowerCase());
      if (found) return found.id;
      throw new TtsError(
        'TTS_UNKNOWN_VOICE',
        `${this.id} has no voice "${voice}" (voices: ${voices.map((v) => v.id).join(', ')})`,
      );
    }
    if (language === undefined) return this.#driver.defaultVoice;
    const tag = language.toLowerCase();
    const found = voices.find((v) => v.languages.includes(tag));
    if (found) return found.id;
    throw new TtsError('TTS_UNKNOWN_VOICE', `${this.id} has no voice for language "${language}"`);
  }
}

/** Collapses white space, refuses unspeakable or over-long text; shared by every provider. */
export function checkText(text: string, maxLength: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  assertSpeakable(clean);
  if (clean.length > maxLength) {
    throw new TtsError(
      'TTS_TEXT_TOO_LONG',
      `text is ${clean.length} characters; the limit is ${maxLength}`,
      { details: { length: clean.length, limit: maxLength } },
    );
  }
  return clean;
}
