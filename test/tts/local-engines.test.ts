import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from '../../src/audio/index.ts';
import { AbortedError } from '../../src/core/index.ts';
import { festivalScript, parseFestivalTimings } from '../../src/tts/festival.ts';
import { flitePhonemes, parsePsdur } from '../../src/tts/flite.ts';
import {
  type EngineTts,
  loadFestival,
  loadFlite,
  loadRhvoice,
  type SynthesisResult,
  VoiceCatalog,
} from '../../src/tts/index.ts';
import { findExecutable } from '../../src/tts/process.ts';

const flite = await loadFlite();
const festival = await loadFestival();
const rhvoice = await loadRhvoice();
afterAll(async () => {
  await Promise.all([flite?.close(), festival?.close(), rhvoice?.close()]);
});
for (const [name, engine, apt] of [
  ['flite', flite, 'flite'],
  ['festival', festival, 'festival festvox-us-slt-hts'],
  ['rhvoice', rhvoice, 'rhvoice rhvoice-english (Debian non-free)'],
] as const)
  if (!engine) console.warn(`skipping ${name} tests: not installed (apt-get install ${apt})`);

/** Mean level (dB) of the audio between two instants. */
function levelDb(r: SynthesisResult, fromMs: number, toMs: number): number {
  let sum = 0;
  const from = Math.floor(fromMs * 16);
  const to = Math.floor(toMs * 16);
  for (let i = from; i < to; i++) sum += (r.samples[i] ?? 0) ** 2;
  return 10 * Math.log10(sum / Math.max(1, to - from) + 1e-12);
}

/** Phonemes in order, inside the audio, and where they sound: vowels louder than pauses. */
function expectTimedPhonemes(r: SynthesisResult): void {
  const phonemes = r.phonemes ?? [];
  expect(phonemes.length).toBeGreaterThan(15);
  let last = 0;
  for (const p of phonemes) {
    expect(p.startMs).toBeGreaterThanOrEqual(last - 1e-6);
    expect(p.endMs).toBeGreaterThan(p.startMs);
    expect(p.endMs).toBeLessThanOrEqual(r.durationMs + 20);
    last = p.endMs;
  }
  // IPA vowels (the ARPAbet phones are reported as espeak writes them)
  const vowels = phonemes.filter((p) => /^[ɑæʌɔaəɛɜeɪioʊu]/.test(p.phoneme));
  expect(vowels.length).toBeGreaterThan(5);
  const first = phonemes[0]?.startMs ?? 0;
  // the leading pause (before the first phoneme) is near silence; vowels are well above it
  for (const v of vowels)
    expect(levelDb(r, v.startMs, v.endMs)).toBeGreaterThan(levelDb(r, 0, first) + 20);
}

describe('WAV decoding (the local engines write WAV files)', () => {
  it('reads 16-bit and float WAV back, skipping unknown chunks, and mixes stereo down', () => {
    const samples = Float32Array.from({ length: 800 }, (_, i) => Math.sin(i / 7) * 0.5);
    const s16 = decodeWav(encodeWav(samples, 22_050));
    expect(s16.sampleRate).toBe(22_050);
    expect(s16.samples.length).toBe(800);
    expect(Math.max(...s16.samples.map((v, i) => Math.abs(v - (samples[i] ?? 0))))).toBeLessThan(
      1e-4,
    );
    expect(decodeWav(encodeWav(samples, 16_000, 'f32')).samples).toEqual(samples);
    // insert a LIST chunk before data, and make it stereo (L = 0.5, R = -0.25 → 0.125)
    const stereo = Buffer.alloc(44 + 12 + 8);
    const wav = encodeWav(new Float32Array(0), 8000);
    wav.copy(stereo, 0, 0, 36);
    stereo.writeUInt16LE(2, 22);
    stereo.writeUInt16LE(4, 32);
    stereo.write('LIST', 36, 'ascii');
    stereo.writeUInt32LE(4, 40);
    stereo.write('INFO', 44, 'ascii');
    stereo.write('data', 48, 'ascii');
    stereo.writeUInt32LE(8, 52);
    stereo.writeInt16LE(16384, 56);
    stereo.writeInt16LE(-8192, 58);
    stereo.writeInt16LE(16384, 60);
    stereo.writeInt16LE(-8192, 62);
    const mixed = decodeWav(stereo);
    expect([...mixed.samples]).toEqual([0.125, 0.125]);
    expect(() => decodeWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
  });
});

describe('engine output parsing', () => {
  it('adds up flite -psdur times across sentences (each line restarts at 0)', () => {
    const phones = parsePsdur('pau:0.1 hh:0.2 ow:0.4 pau:0.5 \npau:0.1 s:0.3 pau:0.6 \n');
    expect(phones.map((p) => p.endS)).toEqual([0.1, 0.2, 0.4, 0.5, 0.6, 0.8, 1.1]);
    // reported as IPA (espeak's symbols), pauses left out
    expect(flitePhonemes('pau:0.1 hh:0.2 ow:0.4 pau:0.5 \npau:0.1 s:0.3 pau:0.6 \n')).toEqual([
      { phoneme: 'h', startMs: 100, endMs: 200 },
      { phoneme: 'oʊ', startMs: 200, endMs: 400 },
      { phoneme: 's', startMs: 600, endMs: 800 },
    ]);
  });

  it('parses festival timings and quotes the text safely in its Scheme script', () => {
    const t = parseFestivalTimings('P pau 0.1\nP hh 0.2\nP ow 0.35\nW 0.1 0.35 Hello\nnoise\n');
    expect(t.phonemes).toEqual([
      { phoneme: 'h', startMs: 100, endMs: 200 },
      { phoneme: 'oʊ', startMs: 200, endMs: 350 },
    ]);
    expect(t.words).toEqual([{ text: 'Hello', startMs: 100, endMs: 350 }]);
    const script = festivalScript({
      text: 'say "hi" \\ (now)',
      voice: 'kal_diphone',
      rate: 2,
      wavPath: 'a.wav',
    });
    expect(script).toContain('(Utterance Text "say \\"hi\\" \\\\ (now)")');
    expect(script).toContain('Duration_Stretch 0.5000');
  });
});

describe.skipIf(!flite)('flite', () => {
  const tts = flite as EngineTts;
  it('speaks 16 kHz mono with phoneme timing where the phonemes sound', async () => {
    const r = await tts.synthesize('Bob bought a map. Maybe Pam made pie!', { voice: 'slt' });
    expect(r.sampleRate).toBe(16_000);
    expect(r.voice).toBe('slt');
    expect(r.durationMs).toBeGreaterThan(1500);
    expectTimedPhonemes(r);
    // the second sentence's phonemes are placed after the first's (times add up across lines)
    const lastP = (r.phonemes ?? []).filter((p) => p.phoneme === 'p').at(-1);
    expect(lastP?.startMs).toBeGreaterThan(r.durationMs * 0.6);
  });

  it('changes rate, refuses pitch, unknown voices and empty text, and stops when aborted', async () => {
    const text = 'This sentence is spoken at two speeds.';
    const slow = await tts.synthesize(text, { rate: 0.7 });
    const fast = await tts.synthesize(text, { rate: 1.6 });
    expect(slow.durationMs).toBeGreaterThan(fast.durationMs * 1.5);
    await expect(tts.synthesize('hi', { pitch: 1.3 })).rejects.toMatchObject({
      code: 'TTS_BAD_OPTIONS',
    });
    await expect(tts.synthesize('hi', { voice: 'nosuch' })).rejects.toMatchObject({
      code: 'TTS_UNKNOWN_VOICE',
    });
    await expect(tts.synthesize(' ?! ')).rejects.toMatchObject({ code: 'TTS_EMPTY_TEXT' });
    await expect(
      tts.synthesize('hi', { signal: AbortSignal.abort(new Error('stop')) }),
    ).rejects.toBeInstanceOf(AbortedError);
    const controller = new AbortController();
    const long = tts.synthesize('A long text. '.repeat(300), { signal: controller.signal });
    setTimeout(() => controller.abort(new AbortedError('cut short')), 30);
    await expect(long).rejects.toThrow('cut short');
    expect((await tts.voices()).map((v) => v.id)).not.toContain('awb_time');
  });
});

describe.skipIf(!festival)('festival', () => {
  const tts = festival as EngineTts;
  it('speaks with phoneme and word timing, at the requested rate', async () => {
    const r = await tts.synthesize('Bob bought a map. Maybe Pam made pie!');
    expect(r.sampleRate).toBe(16_000);
    expectTimedPhonemes(r);
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
    const fast = await tts.synthesize('Bob bought a map. Maybe Pam made pie!', { rate: 2 });
    expect(fast.durationMs).toBeLessThan(r.durationMs * 0.7);
    await expect(tts.synthesize('hi', { voice: 'nosuch' })).rejects.toMatchObject({
      code: 'TTS_UNKNOWN_VOICE',
    });
  });

  it('keeps one festival process: later sentences skip its start-up; an abort restarts it', async () => {
    await tts.synthesize('Warm up.');
    const t = performance.now();
    const r = await tts.synthesize('A second sentence, from the running process.');
    const warmMs = performance.now() - t;
    expect(r.words?.length).toBe(7);
    const controller = new AbortController();
    const cut = tts.synthesize('This one is cut short. '.repeat(20), { signal: controller.signal });
    setTimeout(() => controller.abort(new AbortedError('cut')), 50);
    await expect(cut).rejects.toThrow('cut');
    const after = await tts.synthesize('Still speaking after the abort.');
    expect(after.words?.map((w) => w.text)).toEqual(['Still', 'speaking', 'after', 'the', 'abort']);
    console.info(`festival warm sentence: ${warmMs.toFixed(0)} ms`);
  });
});

describe.skipIf(!rhvoice)('rhvoice', () => {
  const tts = rhvoice as EngineTts;
  it('speaks each installed voice and states the voice terms', async () => {
    const r = await tts.synthesize('Good morning to you.', { voice: 'slt' });
    expect(r.sampleRate).toBe(16_000);
    expect(r.durationMs).toBeGreaterThan(800);
    expect(levelDb(r, 0, r.durationMs)).toBeGreaterThan(-40);
    const voices = await tts.voices();
    expect(voices.find((v) => v.id === 'slt')?.terms).toMatch(/LGPL-2\.1/);
    const nc = voices.find((v) => v.id === 'lyubov');
    if (nc) expect(nc.terms).toMatch(/non-commercial/);
  });
});

describe('VoiceCatalog', () => {
  let catalog: VoiceCatalog;
  beforeAll(async () => {
    catalog = await VoiceCatalog.load();
  });
  afterAll(() => catalog.close());

  it('routes engine:voice to the engine, bare names to the default, and names missing engines', async () => {
    await expect(catalog.synthesize('hi', { voice: 'nosuch:x' })).rejects.toMatchObject({
      code: 'TTS_UNKNOWN_VOICE',
    });
    const voices = await catalog.voices();
    for (const v of voices) expect(v.id.startsWith(`${v.engine}:`)).toBe(true);
    for (const v of voices) expect(v.terms.length).toBeGreaterThan(5);
    if (catalog.engines.includes('espeak')) {
      expect(catalog.defaultEngine).toBe('espeak');
      expect((await catalog.synthesize('Hello.', { voice: 'en-us' })).voice).toBe('espeak:en-us');
    }
    if (flite) {
      const r = await catalog.synthesize('Hello there.', { voice: 'flite:slt' });
      expect(r.voice).toBe('flite:slt');
      expect(r.phonemes?.length).toBeGreaterThan(3);
    }
  });

  it.skipIf(!flite || !festival)(
    'lists at least two engines from the CLI with flite and festival',
    async () => {
      const bin = new URL('../../bin/facecast', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)(process.execPath, [
        bin,
        'tts',
        '--voices',
        '--json',
      ]);
      const listed = JSON.parse(stdout) as { engines: string[]; voices: { engine: string }[] };
      expect(listed.engines).toEqual(expect.arrayContaining(['flite', 'festival']));
      expect(new Set(listed.voices.map((v) => v.engine)).size).toBeGreaterThanOrEqual(2);
    },
  );

  it('finds executables on PATH only', async () => {
    expect(await findExecutable('node')).toMatch(/node$/);
    expect(await findExecutable('no-such-engine-here')).toBeUndefined();
  });
});
