/**
 * Every voice this machine can speak with, behind one {@link TtsProvider}: the embedded
 * espeak-ng (the default) plus each local engine found installed at load time (flite,
 * festival, RHVoice), and any extra provider (a cloud one). Voices are named `engine:voice`
 * (`flite:slt`, `festival:cmu_us_slt_arctic_hts`, `espeak:en-us+f3`); a name without an
 * engine is the default engine's (`en-us+f3` is espeak's), so older requests keep working.
 */

import type { EngineTtsOptions } from './engine.ts';
import { TtsError } from './errors.ts';
import { EspeakTts } from './espeak.ts';
import { loadFestival } from './festival.ts';
import { loadFlite } from './flite.ts';
import type { SynthesisOptions, SynthesisResult, TtsProvider, VoiceInfo } from './provider.ts';
import { loadRhvoice } from './rhvoice.ts';
import { type SpeechChunk, type StreamingTtsProvider, speechChunks } from './streaming.ts';

/** The local engines that can be found, in listing order. */
export const LOCAL_ENGINES = ['espeak', 'flite', 'festival', 'rhvoice'] as const;
export type LocalEngine = (typeof LOCAL_ENGINES)[number];

/** The one Debian command that installs the better local voices (RHVoice is in non-free). */
export const LOCAL_VOICES_APT =
  'apt-get install -y flite festival festvox-us-slt-hts rhvoice rhvoice-english';

/** Options of {@link VoiceCatalog.load}. */
export interface VoiceCatalogOptions extends EngineTtsOptions {
  /** Engines to look for. Default all of {@link LOCAL_ENGINES}. */
  engines?: readonly LocalEngine[];
  /** Further providers (e.g. a cloud one), addressed by their `id`. */
  extra?: readonly TtsProvider[];
}

/** An engine that was looked for and not found, and why. */
export interface MissingEngine {
  engine: string;
  reason: string;
}

/**
 * @example
 * const tts = await VoiceCatalog.load();
 * const { samples, phonemes } = await tts.synthesize('Hello.', { voice: 'flite:slt' });
 */
export class VoiceCatalog implements StreamingTtsProvider {
  readonly id = 'local';
  /** The engine that speaks voices given without `engine:` (espeak when installed). */
  readonly defaultEngine: string;
  /** Engines looked for and not found. */
  readonly missing: readonly MissingEngine[];
  readonly #providers: Map<string, TtsProvider>;

  private constructor(providers: Map<string, TtsProvider>, missing: MissingEngine[]) {
    this.#providers = providers;
    this.missing = missing;
    this.defaultEngine = providers.has('espeak') ? 'espeak' : ([...providers.keys()][0] as string);
  }

  /** Finds the installed engines; TTS_ENGINE_MISSING when there is none at all. */
  static async load(options: VoiceCatalogOptions = {}): Promise<VoiceCatalog> {
    const { engines = LOCAL_ENGINES, extra = [], ...engineOptions } = options;
    const providers = new Map<string, TtsProvider>();
    const missing: MissingEngine[] = [];
    for (const engine of engines) {
      try {
        const provider = await loadEngine(engine, engineOptions);
        if (provider) providers.set(engine, provider);
        else missing.push({ engine, reason: `not installed (${LOCAL_VOICES_APT})` });
      } catch (error) {
        missing.push({ engine, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    for (const provider of extra) providers.set(provider.id, provider);
    if (providers.size === 0) {
      throw new TtsError(
        'TTS_ENGINE_MISSING',
        `no TTS engine is installed: ${missing.map((m) => `${m.engine}: ${m.reason}`).join('; ')}`,
      );
    }
    return new VoiceCatalog(providers, missing);
  }

  /** The engines found, default first. */
  get engines(): string[] {
    const ids = [...this.#providers.keys()];
    return [this.defaultEngine, ...ids.filter((id) => id !== this.defaultEngine)];
  }

  /** One engine's provider (e.g. espeak's variants), or undefined. */
  provider(engine: string): TtsProvider | undefined {
    return this.#providers.get(engine);
  }

  async voices(): Promise<VoiceInfo[]> {
    const out: VoiceInfo[] = [];
    for (const engine of this.engines) {
      const provider = this.#providers.get(engine) as TtsProvider;
      // a cloud engine that cannot list its voices now must not hide the others'
      const voices = await provider.voices().catch(() => []);
      for (const v of voices) out.push({ ...v, id: `${engine}:${v.id}` });
    }
    return out;
  }

  async synthesize(text: string, options: SynthesisOptions = {}): Promise<SynthesisResult> {
    const { engine, voice } = this.resolve(options.voice);
    const provider = this.#providers.get(engine) as TtsProvider;
    const { voice: _, ...rest } = options;
    const result = await provider.synthesize(text, voice === undefined ? rest : { ...rest, voice });
    return { ...result, voice: `${engine}:${result.voice}` };
  }

  /**
   * The speech in pieces as the engine produces them: a streaming (cloud) engine's chunks,
   * or one chunk for a local engine. Voice names as in {@link synthesize}.
   */
  stream(text: string, options: SynthesisOptions = {}): AsyncIterable<SpeechChunk> {
    const { engine, voice } = this.resolve(options.voice);
    const provider = this.#providers.get(engine) as TtsProvider;
    const { voice: _, ...rest } = options;
    return speechChunks(provider, text, voice === undefined ? rest : { ...rest, voice });
  }

  /**
   * Splits `engine:voice` (or a bare voice of the default engine); TTS_UNKNOWN_VOICE for an
   * engine that is not installed. The voice itself is checked by the engine.
   */
  resolve(voice: string | undefined): { engine: string; voice: string | undefined } {
    if (voice === undefined) return { engine: this.defaultEngine, voice: undefined };
    const colon = voice.indexOf(':');
    if (colon < 0) return { engine: this.defaultEngine, voice };
    const engine = voice.slice(0, colon).toLowerCase();
    if (!this.#providers.has(engine)) {
      const why = this.missing.find((m) => m.engine === engine)?.reason;
      throw new TtsError(
        'TTS_UNKNOWN_VOICE',
        `no TTS engine "${engine}"${why ? ` (${why})` : ''}; installed: ${this.engines.join(', ')}`,
      );
    }
    const name = voice.slice(colon + 1);
    return { engine, voice: name === '' ? undefined : name };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#providers.values()].map((p) => p.close()));
  }
}

async function loadEngine(
  engine: LocalEngine,
  options: EngineTtsOptions,
): Promise<TtsProvider | undefined> {
  switch (engine) {
    case 'espeak':
      return EspeakTts.load(options);
    case 'flite':
      return loadFlite(options);
    case 'festival':
      return loadFestival(options);
    case 'rhvoice':
      return loadRhvoice(options);
  }
}
