import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/core/index.ts';
import {
  createTtsProvider,
  HttpStreamTts,
  type SpeechChunk,
  type VoiceCatalog,
} from '../../src/tts/index.ts';

// A fake streaming TTS service on loopback speaking the NDJSON protocol (src/tts/http-stream.ts):
// each request's audio is a 24 kHz tone, 100 ms per chunk, and the test controls when the
// stream continues, so "streamed" is checked by order of events, not by timing.

interface Request {
  body: Record<string, unknown>;
  auth: string | undefined;
  res: ServerResponse;
  closed: Promise<void>;
}
let server: Server;
let endpoint: string;
let requests: Request[] = [];
let behaviour: 'stream' | 'error-line' | 'truncated' | 'http-404' = 'stream';
/** Released by the test to let the fake send the rest of its stream. */
let release: () => void = () => undefined;

function tone24k(ms: number, from: number): string {
  const n = (ms * 24_000) / 1000;
  const buf = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * (from + i)) / 24_000)), 2 * i);
  return buf.toString('base64');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/v1/voices') {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        voices: [{ id: 'nova', name: 'Nova', languages: ['en'], gender: 'female' }],
      }),
    );
    return;
  }
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
  requests.push({ body: JSON.parse(raw), auth: req.headers.authorization, res, closed });
  if (behaviour === 'http-404') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'TTS_UNKNOWN_VOICE', message: 'no voice "zzz"' }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
  line({ type: 'audio', sampleRate: 24_000, audio: tone24k(100, 0) });
  line({ type: 'words', words: [{ text: 'Hello', startMs: 0, endMs: 150 }] });
  await new Promise<void>((resolve) => {
    release = resolve;
  });
  if (res.destroyed) return;
  if (behaviour === 'error-line') {
    line({ type: 'error', code: 'OVERLOADED', message: 'try later' });
    res.end();
    return;
  }
  line({ type: 'audio', sampleRate: 24_000, audio: tone24k(100, 2400) });
  if (behaviour === 'truncated') {
    res.end();
    return;
  }
  line({ type: 'end', voice: 'nova' });
  res.end();
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests = [];
  behaviour = 'stream';
});

const config = (extra: Record<string, unknown> = {}) => ({
  provider: 'cloud' as const,
  name: 'http-stream',
  endpoint,
  ...extra,
});

describe('HttpStreamTts against a fake NDJSON server on loopback', () => {
  it('yields the first PCM chunk before the server has sent the rest, then the whole utterance', async () => {
    const tts = await createTtsProvider(config({ voice: 'nova' }));
    expect(tts).toBeInstanceOf(HttpStreamTts);
    const chunks: SpeechChunk[] = [];
    for await (const chunk of (tts as HttpStreamTts).stream('Hello there.', { rate: 1.2 })) {
      chunks.push(chunk);
      if (chunks.length === 1) {
        // the server is still holding the rest: this chunk was streamed, not buffered
        expect(chunk.samples.length).toBeGreaterThan(1000);
        release();
      }
    }
    expect(requests[0]?.body).toEqual({ text: 'Hello there.', rate: 1.2, voice: 'nova' });
    const audio = chunks.reduce((n, c) => n + c.samples.length, 0);
    expect(audio).toBe(3200); // 200 ms at 16 kHz, resampled from 24 kHz
    expect(chunks.flatMap((c) => c.words ?? [])).toEqual([
      { text: 'Hello', startMs: 0, endMs: 150 },
    ]);
    // startMs of each audio chunk is where it sits in the utterance
    const audioChunks = chunks.filter((c) => c.samples.length > 0);
    expect(audioChunks[1]?.startMs).toBeCloseTo(audioChunks[0]!.samples.length / 16, 6);
    await tts.close();
  });

  it('synthesize() joins the stream; the key goes as a Bearer token from the named variable', async () => {
    process.env.FAKE_TTS_KEY = 'sekrit';
    const tts = await createTtsProvider(config({ apiKeyEnv: 'FAKE_TTS_KEY' }));
    const pending = tts.synthesize('Hello.');
    await until(() => requests.length === 1);
    release();
    const result = await pending;
    expect(result).toMatchObject({ sampleRate: 16_000, voice: 'nova', durationMs: 200 });
    expect(requests[0]?.auth).toBe('Bearer sekrit');
    expect(await tts.voices()).toEqual([
      expect.objectContaining({ id: 'nova', engine: 'http-stream', gender: 'female' }),
    ]);
    delete process.env.FAKE_TTS_KEY;
    await expect(createTtsProvider(config({ apiKeyEnv: 'FAKE_TTS_KEY' }))).rejects.toMatchObject({
      code: 'TTS_PROVIDER_NOT_CONFIGURED',
    });
  });

  it('maps failures to stable codes: error line, truncated stream, unknown voice, no endpoint', async () => {
    const tts = await createTtsProvider(config());
    behaviour = 'error-line';
    let pending = tts.synthesize('Hello.');
    await until(() => requests.length === 1);
    release();
    await expect(pending).rejects.toMatchObject({
      code: 'TTS_SYNTHESIS_FAILED',
      message: /try later/,
    });
    behaviour = 'truncated';
    pending = tts.synthesize('Hello.');
    await until(() => requests.length === 2);
    release();
    await expect(pending).rejects.toMatchObject({
      code: 'TTS_SYNTHESIS_FAILED',
      message: /before its "end"/,
    });
    behaviour = 'http-404';
    await expect(tts.synthesize('Hello.', { voice: 'zzz' })).rejects.toMatchObject({
      code: 'TTS_UNKNOWN_VOICE',
    });
    await expect(tts.synthesize('  ')).rejects.toMatchObject({ code: 'TTS_EMPTY_TEXT' });
    await expect(
      createTtsProvider({ provider: 'cloud', name: 'http-stream' }),
    ).rejects.toMatchObject({
      code: 'TTS_BAD_OPTIONS',
    });
  });

  it('an abort mid-stream stops reading and closes the connection', async () => {
    const tts = await createTtsProvider(config());
    const controller = new AbortController();
    const stream = (tts as HttpStreamTts).stream('Hello.', { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value.samples.length).toBeGreaterThan(0);
    controller.abort(new AbortedError('user interrupted'));
    await expect(drain(iterator)).rejects.toThrow();
    await requests[0]?.closed; // the server saw the client go
    release();
  });

  it('sits in the voice catalog as <name>:<voice>, streamed through the catalog', async () => {
    const catalog = (await createTtsProvider({
      provider: 'local',
      engines: ['espeak'],
      cloud: [config()],
    })) as VoiceCatalog;
    expect(catalog.engines).toContain('http-stream');
    expect((await catalog.voices()).some((v) => v.id === 'http-stream:nova')).toBe(true);
    const chunks: SpeechChunk[] = [];
    for await (const chunk of catalog.stream('Hi.', { voice: 'http-stream:nova' })) {
      chunks.push(chunk);
      if (chunks.length === 1) release();
    }
    expect(requests[0]?.body.voice).toBe('nova');
    expect(chunks.filter((c) => c.samples.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(chunks.reduce((n, c) => n + c.samples.length, 0)).toBe(3200);
    await catalog.close();
  });

  it('a cloud engine that is down does not hide the local voices', async () => {
    const catalog = (await createTtsProvider({
      provider: 'local',
      engines: ['espeak'],
      cloud: [
        { provider: 'cloud', name: 'http-stream', endpoint: 'http://127.0.0.1:9', timeoutMs: 2000 },
      ],
    })) as VoiceCatalog;
    const voices = await catalog.voices();
    expect(voices.some((v) => v.engine === 'http-stream')).toBe(false);
    if (catalog.engines.includes('espeak'))
      expect(voices.some((v) => v.id === 'espeak:en-us')).toBe(true);
    await expect(catalog.synthesize('Hi.', { voice: 'http-stream:nova' })).rejects.toMatchObject({
      code: 'TTS_SYNTHESIS_FAILED',
    });
    await catalog.close();
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

async function drain(iterator: AsyncIterator<SpeechChunk>): Promise<void> {
  for (;;) if ((await iterator.next()).done) return;
}
