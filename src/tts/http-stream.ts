/**
 * A streaming cloud TTS client over plain HTTP: the "facecast NDJSON TTS" protocol
 * (docs/stages/tts.md). `POST {endpoint}/v1/synthesize` with a JSON body answers a chunked
 * `application/x-ndjson` stream, one JSON object per line:
 *
 * - `{"type":"audio","sampleRate":24000,"audio":"<base64 s16le mono>"}` — the next PCM;
 * - `{"type":"phonemes","phonemes":[{phoneme,startMs,endMs}]}` and
 *   `{"type":"words","words":[{text,startMs,endMs}]}` — timings from the utterance's start;
 * - `{"type":"end","voice":"<voice used>"}` — complete (a stream without it is truncated);
 * - `{"type":"error","code":"...","message":"..."}` — failed.
 *
 * `GET {endpoint}/v1/voices` answers `{ "voices": [{ id, name, languages, terms?, gender? }] }`.
 * The API key (from the environment variable the config names) goes in `Authorization:
 * Bearer`. Registered as the cloud provider `http-stream`.
 */
import { z } from 'zod';
import { PcmInput } from '../audio/index.ts';
import { AbortedError } from '../core/index.ts';
import { checkText } from './engine.ts';
import { TtsError } from './errors.ts';
import {
  parseSynthesisOptions,
  type SynthesisOptions,
  type SynthesisResult,
  type VoiceInfo,
} from './provider.ts';
import type { CloudTtsConfig } from './registry.ts';
import { collectChunks, type SpeechChunk, type StreamingTtsProvider } from './streaming.ts';

const timed = z.object({ startMs: z.number().min(0), endMs: z.number().min(0) });
const lineSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('audio'),
    sampleRate: z.union([z.literal(16_000), z.literal(24_000), z.literal(48_000)]),
    audio: z.string().max(4_000_000),
  }),
  z.object({
    type: z.literal('phonemes'),
    phonemes: z.array(timed.extend({ phoneme: z.string() })),
  }),
  z.object({ type: z.literal('words'), words: z.array(timed.extend({ text: z.string() })) }),
  z.object({ type: z.literal('end'), voice: z.string().optional() }),
  z.object({ type: z.literal('error'), code: z.string().optional(), message: z.string() }),
]);
const voicesSchema = z.object({
  voices: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      languages: z.array(z.string()),
      terms: z.string().optional(),
      gender: z.enum(['female', 'male']).optional(),
    }),
  ),
});
/** Longest line accepted, bytes (a line of audio is one chunk; ~1 s of 48 kHz is 128 KB base64). */
const MAX_LINE_BYTES = 4_000_000;

/**
 * @example
 * const tts = createHttpStreamTts({ provider: 'cloud', name: 'http-stream', endpoint: 'https://tts.example' });
 * for await (const chunk of tts.stream('Hello.')) play(chunk.samples);
 */
export class HttpStreamTts implements StreamingTtsProvider {
  readonly id: string;
  readonly #endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #voice: string | undefined;
  readonly #timeoutMs: number;
  readonly #closed = new AbortController();

  constructor(config: CloudTtsConfig) {
    if (!config.endpoint)
      throw new TtsError('TTS_BAD_OPTIONS', `the "${config.name}" TTS provider needs an endpoint`);
    this.id = config.name;
    this.#endpoint = config.endpoint.replace(/\/+$/, '');
    const key = config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined;
    if (config.apiKeyEnv && !key)
      throw new TtsError(
        'TTS_PROVIDER_NOT_CONFIGURED',
        `the environment variable ${config.apiKeyEnv} (the "${config.name}" TTS key) is not set`,
      );
    this.#headers = key ? { authorization: `Bearer ${key}` } : {};
    this.#voice = config.voice;
    this.#timeoutMs = config.timeoutMs ?? 15_000;
  }

  async voices(): Promise<VoiceInfo[]> {
    const res = await this.#fetch('/v1/voices', { method: 'GET' }, undefined);
    const parsed = voicesSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new TtsError('TTS_SYNTHESIS_FAILED', `${this.id}: bad voice list`);
    return parsed.data.voices.map((v) => ({
      ...v,
      engine: this.id,
      terms: v.terms ?? `the ${this.id} service's terms`,
    }));
  }

  async synthesize(text: string, options: SynthesisOptions = {}): Promise<SynthesisResult> {
    let voice = options.voice ?? this.#voice ?? 'default';
    const chunks = this.#stream(text, options, (used) => {
      voice = used;
    });
    const result = await collectChunks(chunks, voice);
    return { ...result, voice };
  }

  stream(text: string, options: SynthesisOptions = {}): AsyncIterable<SpeechChunk> {
    return this.#stream(text, options, () => undefined);
  }

  async close(): Promise<void> {
    this.#closed.abort(new AbortedError('the TTS provider was closed'));
  }

  async *#stream(
    text: string,
    options: SynthesisOptions,
    onVoice: (voice: string) => void,
  ): AsyncGenerator<SpeechChunk> {
    const { signal, ...rest } = options;
    const opts = parseSynthesisOptions(rest);
    const voice = opts.voice ?? this.#voice;
    const body = JSON.stringify({
      text: checkText(text, 5000),
      ...opts,
      ...(voice ? { voice } : {}),
    });
    const res = await this.#fetch(
      '/v1/synthesize',
      { method: 'POST', body, headers: { 'content-type': 'application/json' } },
      signal,
    );
    if (!res.body) throw new TtsError('TTS_SYNTHESIS_FAILED', `${this.id}: empty response`);
    let pcm: PcmInput | undefined;
    let startMs = 0;
    for await (const line of ndjsonLines(res.body)) {
      const msg = parseLine(this.id, line);
      if (msg.type === 'error') throw remoteError(this.id, msg.code, msg.message);
      if (msg.type === 'end') {
        if (msg.voice) onVoice(msg.voice);
        const tail = pcm?.flush();
        if (tail && tail.length > 0) yield { samples: tail, startMs };
        return;
      }
      if (msg.type === 'audio') {
        if (pcm && pcm.format.sampleRate !== msg.sampleRate)
          throw new TtsError('TTS_SYNTHESIS_FAILED', `${this.id}: sample rate changed mid-stream`);
        pcm ??= new PcmInput({ encoding: 's16le', sampleRate: msg.sampleRate, channels: 1 });
        const samples = pcm.process(Buffer.from(msg.audio, 'base64'));
        yield { samples, startMs };
        startMs += samples.length / 16;
      } else if (msg.type === 'phonemes')
        yield { samples: new Float32Array(0), startMs, phonemes: msg.phonemes };
      else yield { samples: new Float32Array(0), startMs, words: msg.words };
    }
    throw new TtsError(
      'TTS_SYNTHESIS_FAILED',
      `${this.id}: the stream ended before its "end" line`,
    );
  }

  async #fetch(
    path: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const signals = [this.#closed.signal, AbortSignal.timeout(this.#timeoutMs)];
    if (signal) signals.push(signal);
    let res: Response;
    try {
      res = await fetch(`${this.#endpoint}${path}`, {
        ...init,
        headers: { ...this.#headers, ...(init.headers as Record<string, string>) },
        signal: AbortSignal.any(signals),
      });
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw new TtsError('TTS_SYNTHESIS_FAILED', `${this.id}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (res.ok) return res;
    const detail = (await res.json().catch(() => undefined)) as
      | { code?: string; message?: string }
      | undefined;
    throw remoteError(this.id, detail?.code, detail?.message ?? `HTTP ${res.status}`, res.status);
  }
}

/** A cloud configuration → the provider (the `http-stream` factory of the registry). */
export async function createHttpStreamTts(config: CloudTtsConfig): Promise<HttpStreamTts> {
  return new HttpStreamTts(config);
}

function parseLine(id: string, line: string): z.infer<typeof lineSchema> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new TtsError('TTS_SYNTHESIS_FAILED', `${id}: a stream line is not JSON`);
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success)
    throw new TtsError(
      'TTS_SYNTHESIS_FAILED',
      `${id}: bad stream line: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

function remoteError(
  id: string,
  code: string | undefined,
  message: string,
  status?: number,
): TtsError {
  if (code === 'TTS_UNKNOWN_VOICE' || status === 404)
    return new TtsError('TTS_UNKNOWN_VOICE', `${id}: ${message}`);
  if (status === 401 || status === 403)
    return new TtsError('TTS_PROVIDER_NOT_CONFIGURED', `${id} refused the key: ${message}`);
  return new TtsError('TTS_SYNTHESIS_FAILED', `${id}: ${message}`, {
    details: { ...(code ? { code } : {}), ...(status ? { status } : {}) },
  });
}

/** Splits a byte stream into its non-empty lines (UTF-8), bounded in length. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield line;
      newline = buffered.indexOf('\n');
    }
    if (buffered.length > MAX_LINE_BYTES)
      throw new TtsError('TTS_SYNTHESIS_FAILED', 'a TTS stream line exceeds the size limit');
  }
  const last = (buffered + decoder.decode()).trim();
  if (last) yield last;
}
