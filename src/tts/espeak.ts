/**
 * The embedded offline TTS provider: espeak-ng compiled to WebAssembly
 * (`@echogarden/espeak-ng-emscripten`, GPL-3.0). It is an OPTIONAL dependency, imported only
 * when this provider is loaded, so facecast installs and runs without it.
 *
 * espeak-ng is a formant synthesiser: intelligible in ~100 languages, fast, fully offline —
 * and robotic. It is the default for tests, demos and training data (it reports exact phoneme
 * timing); configure a cloud provider for natural voices.
 */
import { PIPELINE_SAMPLE_RATE, Resampler } from '../audio/index.ts';
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

const PACKAGE = '@echogarden/espeak-ng-emscripten';
/** espeak's default speaking rate (words per minute) and pitch (0–99). */
const BASE_RATE_WPM = 175;
const BASE_PITCH = 50;
const VARIANTS_DIR = '/usr/share/espeak-ng-data/voices/!v';
const TERMS = 'GPL-3.0-or-later (espeak-ng engine and voice data)';

/** Options for {@link EspeakTts.load}. */
export interface EspeakOptions {
  /** Longest text accepted, in characters. Default 5000. */
  maxTextLength?: number;
}
const DEFAULTS: Readonly<Required<EspeakOptions>> = Object.freeze({ maxTextLength: 5000 });

interface EspeakEvent {
  type: string;
  text_position: number;
  word_length: number;
  audio_position: number;
  id?: string | number;
}
interface EspeakWorker {
  set_voice(name: string): number;
  set_rate(wpm: number): void;
  set_pitch(pitch: number): void;
  get_samplerate(): number;
  list_voices(): { name: string; identifier: string; languages: { name: string }[] }[];
  synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean): void;
}
interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorker;
  FS: { readdir(path: string): string[] };
}
interface Engine {
  worker: EspeakWorker;
  variants: Set<string>;
  languages: Map<string, VoiceInfo>;
  /** Every language tag espeak knows → the id of the first voice that speaks it. */
  aliases: Map<string, string>;
  /** Voice id → espeak's voice identifier (what `set_voice` accepts, e.g. `gmw/en`). */
  identifiers: Map<string, string>;
  sampleRate: number;
}

let enginePromise: Promise<Engine> | undefined;
/** espeak has one global voice state: calls are serialised through this chain. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * espeak-ng as a {@link TtsProvider}. Sounds robotic; exact phoneme timing.
 *
 * @example
 * const tts = await EspeakTts.load();
 * const { samples, phonemes } = await tts.synthesize('Hello world', { voice: 'en-us+f3' });
 * await tts.close();
 */
export class EspeakTts implements TtsProvider {
  readonly id = 'espeak';
  readonly #engine: Engine;
  readonly #options: Required<EspeakOptions>;
  #closed = false;

  private constructor(engine: Engine, options: Required<EspeakOptions>) {
    this.#engine = engine;
    this.#options = options;
  }

  /** Loads the engine (once per process, ~0.2 s); throws TTS_ENGINE_MISSING if the package is absent. */
  static async load(options: EspeakOptions = {}): Promise<EspeakTts> {
    enginePromise ??= loadEngine();
    enginePromise.catch(() => {
      enginePromise = undefined;
    });
    return new EspeakTts(await enginePromise, { ...DEFAULTS, ...options });
  }

  /** Voice variants (timbres) that can be appended to a language voice as `+name`. */
  get variants(): string[] {
    return [...this.#engine.variants].sort();
  }

  async voices(): Promise<VoiceInfo[]> {
    return [...this.#engine.languages.values()];
  }

  async synthesize(text: string, options: SynthesisOptions = {}): Promise<SynthesisResult> {
    if (this.#closed) throw new TtsError('TTS_SYNTHESIS_FAILED', 'the espeak provider is closed');
    const { signal, ...rest } = options;
    const opts = parseSynthesisOptions(rest);
    const clean = text.replace(/\s+/g, ' ').trim();
    assertSpeakable(clean);
    if (clean.length > this.#options.maxTextLength) {
      throw new TtsError(
        'TTS_TEXT_TOO_LONG',
        `text is ${clean.length} characters; the limit is ${this.#options.maxTextLength}`,
        { details: { length: clean.length, limit: this.#options.maxTextLength } },
      );
    }
    const voice = this.#resolveVoice(opts.voice, opts.language);
    const run = queue.then(() => this.#synthesize(clean, voice, opts, signal));
    queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #resolveVoice(voice: string | undefined, language: string | undefined): string {
    const requested = voice ?? language?.toLowerCase() ?? 'en-us';
    const [base = '', variant, ...extra] = requested.split('+');
    const id = this.#engine.aliases.get(base.toLowerCase());
    if (
      id === undefined ||
      extra.length > 0 ||
      (variant !== undefined && !this.#engine.variants.has(variant))
    ) {
      throw new TtsError(
        'TTS_UNKNOWN_VOICE',
        `espeak has no voice "${requested}" (languages: see voices(); variants: ${this.variants.slice(0, 8).join(', ')}, …)`,
      );
    }
    return variant === undefined ? id : `${id}+${variant}`;
  }

  async #synthesize(
    text: string,
    voice: string,
    opts: { rate?: number; pitch?: number },
    signal: AbortSignal | undefined,
  ): Promise<SynthesisResult> {
    const { worker, sampleRate, identifiers } = this.#engine;
    const [id = '', variant] = voice.split('+');
    const name = `${identifiers.get(id) ?? id}${variant === undefined ? '' : `+${variant}`}`;
    if (worker.set_voice(name) !== 0)
      throw new TtsError('TTS_UNKNOWN_VOICE', `espeak could not select voice "${voice}"`);
    worker.set_rate(clamp(Math.round(BASE_RATE_WPM * (opts.rate ?? 1)), 80, 450));
    worker.set_pitch(clamp(Math.round(BASE_PITCH * (opts.pitch ?? 1)), 0, 99));
    const resampler = new Resampler(sampleRate, PIPELINE_SAMPLE_RATE);
    const parts: Float32Array[] = [];
    const phonemes: PhonemeEvent[] = [];
    const words: WordEvent[] = [];
    let offsetMs = 0;
    // Sentence by sentence, so a long text can be aborted between sentences.
    for (const { sentence, start } of splitSentences(text)) {
      throwIfAborted(signal);
      let count = 0;
      const events: EspeakEvent[] = [];
      const chunks: Int16Array[] = [];
      try {
        worker.synthesize(sentence, (samples, batch) => {
          chunks.push(samples);
          count += samples.length;
          events.push(...batch);
          return false;
        });
      } catch (cause) {
        throw new TtsError('TTS_SYNTHESIS_FAILED', `espeak failed: ${String(cause)}`, { cause });
      }
      for (const chunk of chunks) parts.push(resampler.process(int16ToFloat(chunk)));
      const sentenceMs = (count / sampleRate) * 1000;
      collectEvents(events, start, text, offsetMs, sentenceMs, phonemes, words);
      offsetMs += sentenceMs;
      await new Promise((resolve) => setImmediate(resolve));
    }
    parts.push(resampler.flush());
    const samples = concat(parts);
    return {
      samples,
      sampleRate: PIPELINE_SAMPLE_RATE,
      durationMs: (samples.length / PIPELINE_SAMPLE_RATE) * 1000,
      phonemes,
      words,
      voice,
    };
  }
}

async function loadEngine(): Promise<Engine> {
  let init: (options?: object) => Promise<EspeakModule>;
  try {
    ({ default: init } = (await import(PACKAGE)) as {
      default: (options?: object) => Promise<EspeakModule>;
    });
  } catch (cause) {
    throw new TtsError(
      'TTS_ENGINE_MISSING',
      `the embedded TTS engine is not installed: npm install ${PACKAGE} (GPL-3.0, optional dependency)`,
      { cause },
    );
  }
  const module = await init();
  const worker = new module.eSpeakNGWorker();
  const languages = new Map<string, VoiceInfo>();
  const aliases = new Map<string, string>();
  const identifiers = new Map<string, string>();
  for (const v of worker.list_voices()) {
    const tags = v.languages.map((l) => l.name.toLowerCase());
    const id = tags[0];
    if (!id || languages.has(id)) continue;
    languages.set(id, {
      id,
      name: v.name,
      languages: tags,
      engine: 'espeak',
      terms: TERMS,
      phonemeTiming: true,
    });
    identifiers.set(id, v.identifier);
    for (const tag of tags) if (!aliases.has(tag)) aliases.set(tag, id);
  }
  // A tag that is also a voice file's name (`fr` → roa/fr) means that voice.
  for (const [id, identifier] of identifiers) {
    const file = identifier.split('/').pop()?.toLowerCase();
    if (file) aliases.set(file, id);
  }
  const variants = new Set(module.FS.readdir(VARIANTS_DIR).filter((n) => !n.startsWith('.')));
  return { worker, languages, aliases, identifiers, variants, sampleRate: worker.get_samplerate() };
}

/** Phoneme/word events of one sentence, shifted to the whole text's audio and character positions. */
function collectEvents(
  events: EspeakEvent[],
  sentenceStart: number,
  text: string,
  offsetMs: number,
  sentenceMs: number,
  phonemes: PhonemeEvent[],
  words: WordEvent[],
): void {
  const timed = events.filter((e) => e.type === 'phoneme' || e.type === 'end' || e.type === 'word');
  for (let i = 0; i < timed.length; i++) {
    const e = timed[i] as EspeakEvent;
    if (e.type === 'phoneme' && typeof e.id === 'string' && e.id !== '') {
      // A phoneme lasts until the next phoneme (or pause, or clause end) starts.
      const next = timed.slice(i + 1).find((n) => n.type !== 'word');
      const end = Math.min(next ? next.audio_position : sentenceMs, sentenceMs);
      if (end > e.audio_position)
        phonemes.push({
          phoneme: e.id,
          startMs: offsetMs + e.audio_position,
          endMs: offsetMs + end,
        });
    } else if (e.type === 'word') {
      const from = sentenceStart + e.text_position - 1;
      const word = text.slice(from, from + e.word_length);
      const last = phonemesOfWordEnd(timed, i, sentenceMs);
      if (word.trim())
        words.push({ text: word, startMs: offsetMs + e.audio_position, endMs: offsetMs + last });
    }
  }
}

/** End of a word: where its last phoneme ends (the next word, pause or clause end). */
function phonemesOfWordEnd(timed: EspeakEvent[], index: number, sentenceMs: number): number {
  for (let j = index + 1; j < timed.length; j++) {
    const e = timed[j] as EspeakEvent;
    if (e.type === 'word' || e.type === 'end' || (e.type === 'phoneme' && e.id === ''))
      return e.audio_position;
  }
  return sentenceMs;
}

function splitSentences(text: string): { sentence: string; start: number }[] {
  const out: { sentence: string; start: number }[] = [];
  const pattern = /[^.!?。！？]+[.!?。！？]*/gu;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (/[\p{L}\p{N}]/u.test(m[0])) out.push({ sentence: m[0], start: m.index });
  }
  return out;
}

function int16ToFloat(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i] as number) / 32768;
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
