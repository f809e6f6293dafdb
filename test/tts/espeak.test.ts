import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../../src/core/index.ts';
import { createTtsProvider, EspeakTts, TtsError } from '../../src/tts/index.ts';

/** espeak-ng is an optional dependency; without it only the "missing engine" error is tested. */
const available = (() => {
  try {
    createRequire(import.meta.url).resolve('@echogarden/espeak-ng-emscripten');
    return true;
  } catch {
    return false;
  }
})();
if (!available)
  console.warn('skipping espeak-ng tests: @echogarden/espeak-ng-emscripten is not installed');

describe.skipIf(!available)('EspeakTts', () => {
  let tts: EspeakTts;
  beforeAll(async () => {
    tts = await EspeakTts.load();
  });
  afterAll(() => tts.close());

  it('speaks 16 kHz mono with phoneme and word timing inside the audio', async () => {
    const r = await tts.synthesize('Bob bought a map. Maybe Pam made pie!', { voice: 'en-us' });
    expect(r.sampleRate).toBe(16_000);
    expect(r.durationMs).toBeCloseTo((r.samples.length / 16_000) * 1000, 6);
    expect(r.durationMs).toBeGreaterThan(1500);
    const phonemes = r.phonemes ?? [];
    expect(phonemes.length).toBeGreaterThan(15);
    let last = 0;
    for (const p of phonemes) {
      expect(p.startMs).toBeGreaterThanOrEqual(last - 1e-6);
      expect(p.endMs).toBeGreaterThan(p.startMs);
      expect(p.endMs).toBeLessThanOrEqual(r.durationMs + 1);
      last = p.endMs;
    }
    expect(phonemes.filter((p) => /^[pbm]$/.test(p.phoneme)).length).toBeGreaterThanOrEqual(6);
    expect(r.words?.map((w) => w.text)).toEqual([
      'Bob',
      'bought',
      'a',
      'map',
      'Maybe',
      'Pam',
      'made',
      'pie',
    ]);
  });

  it('times phonemes where they sound: a /p/ closure is quieter than the vowel after it', async () => {
    const r = await tts.synthesize('A papa, a puppy, a pop.', { voice: 'en-us' });
    const level = (fromMs: number, toMs: number) => {
      let sum = 0;
      const from = Math.floor(fromMs * 16);
      const to = Math.floor(toMs * 16);
      for (let i = from; i < to; i++) sum += (r.samples[i] ?? 0) ** 2;
      return 10 * Math.log10(sum / Math.max(1, to - from) + 1e-12);
    };
    const phonemes = r.phonemes ?? [];
    let checked = 0;
    phonemes.forEach((p, i) => {
      const next = phonemes[i + 1];
      if (p.phoneme !== 'p' || !next || !/[aɑæɐʌəɔ]/.test(next.phoneme)) return;
      expect(level(p.startMs, p.endMs)).toBeLessThan(level(next.startMs, next.endMs) - 6);
      checked++;
    });
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('selects voices by language, alias and variant, and changes rate', async () => {
    expect((await tts.synthesize('Bonjour', { language: 'fr' })).voice).toBe('fr-fr');
    expect((await tts.synthesize('Hello', { voice: 'en-gb+f3' })).voice).toBe('en-gb+f3');
    const slow = await tts.synthesize('This sentence is spoken at two speeds.', { rate: 0.7 });
    const fast = await tts.synthesize('This sentence is spoken at two speeds.', { rate: 1.6 });
    expect(slow.durationMs).toBeGreaterThan(fast.durationMs * 1.5);
    const voices = await tts.voices();
    expect(voices.length).toBeGreaterThan(80);
    expect(voices.find((v) => v.id === 'en-us')?.languages).toContain('en-us');
    expect(tts.variants).toContain('f3');
  });

  it('rejects bad input with specific codes', async () => {
    await expect(tts.synthesize('  ...  ')).rejects.toMatchObject({ code: 'TTS_EMPTY_TEXT' });
    await expect(tts.synthesize('hi', { voice: 'xx-nope' })).rejects.toMatchObject({
      code: 'TTS_UNKNOWN_VOICE',
    });
    await expect(tts.synthesize('hi', { voice: 'en-us+nosuchvariant' })).rejects.toMatchObject({
      code: 'TTS_UNKNOWN_VOICE',
    });
    await expect(tts.synthesize('hi', { rate: 9 })).rejects.toMatchObject({
      code: 'TTS_BAD_OPTIONS',
    });
    const short = await EspeakTts.load({ maxTextLength: 10 });
    await expect(short.synthesize('this text is too long')).rejects.toMatchObject({
      code: 'TTS_TEXT_TOO_LONG',
      kind: 'limit',
    });
  });

  it('stops between sentences when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      tts.synthesize('One. Two. Three.', { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
  });

  it('is what the configuration hook builds for provider "espeak"', async () => {
    const provider = await createTtsProvider({ provider: 'espeak' });
    expect(provider.id).toBe('espeak');
    await provider.close();
  });
});

describe('TTS configuration', () => {
  it('names an unregistered cloud provider and rejects malformed configuration', async () => {
    await expect(createTtsProvider({ provider: 'cloud', name: 'azure' })).rejects.toMatchObject({
      code: 'TTS_PROVIDER_NOT_CONFIGURED',
    });
    await expect(createTtsProvider({ provider: 'cloud' })).rejects.toMatchObject({
      code: 'TTS_BAD_OPTIONS',
    });
    await expect(
      createTtsProvider({ provider: 'cloud', name: 'x', apiKeyEnv: 'not a var' }),
    ).rejects.toBeInstanceOf(TtsError);
  });

  it('reports a missing espeak-ng package as TTS_ENGINE_MISSING', async () => {
    vi.resetModules();
    vi.doMock('@echogarden/espeak-ng-emscripten', () => {
      throw new Error('Cannot find package');
    });
    const { EspeakTts: Fresh } = await import('../../src/tts/espeak.ts');
    await expect(Fresh.load()).rejects.toMatchObject({ code: 'TTS_ENGINE_MISSING' });
    vi.doUnmock('@echogarden/espeak-ng-emscripten');
  });
});
