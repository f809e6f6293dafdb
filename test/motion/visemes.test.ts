import { describe, expect, it } from 'vitest';
import { BLENDSHAPE_COUNT, BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import {
  lipAperture,
  type TimedPhoneme,
  visemeSegments,
  visemesOfPhoneme,
  visemeWeights,
} from '../../src/motion/index.ts';

const B = BLENDSHAPE_INDEX;
/** "a map, a bee": vowel – bilabial – vowel sequences with realistic espeak durations. */
const PHONEMES: TimedPhoneme[] = [
  { phoneme: 'ɐ', startMs: 200, endMs: 280 },
  { phoneme: 'm', startMs: 280, endMs: 360 },
  { phoneme: 'ˈæ', startMs: 360, endMs: 520 },
  { phoneme: 'p', startMs: 520, endMs: 600 },
  { phoneme: 'ɐ', startMs: 900, endMs: 980 },
  { phoneme: 'b', startMs: 980, endMs: 1040 },
  { phoneme: 'ˈiː', startMs: 1040, endMs: 1200 },
];
const frameAt = (ms: number) => Math.round(ms / 40);

describe('visemesOfPhoneme', () => {
  it('maps IPA with stress, length and diacritics to visemes', () => {
    expect(visemesOfPhoneme('ˈaɪ')).toEqual({ visemes: ['AA', 'I'], stress: 1 });
    expect(visemesOfPhoneme('ˌoʊ')).toEqual({ visemes: ['O', 'U'], stress: 2 });
    expect(visemesOfPhoneme('tʃ').visemes).toEqual(['CH']);
    expect(visemesOfPhoneme('dʒ').visemes).toEqual(['CH']);
    expect(visemesOfPhoneme('ɜː').visemes).toEqual(['E']);
    expect(visemesOfPhoneme('n̩').visemes).toEqual(['DD']);
    for (const p of ['p', 'b', 'm']) expect(visemesOfPhoneme(p).visemes).toEqual(['PP']);
    expect(visemesOfPhoneme('f').visemes).toEqual(['FF']);
    expect(visemesOfPhoneme('ʔ').visemes).toEqual(['h']);
  });

  it('splits diphthongs 60/40 and scales stressed vowels', () => {
    const segs = visemeSegments([{ phoneme: 'ˈaɪ', startMs: 0, endMs: 100 }]);
    expect(segs.map((s) => s.viseme)).toEqual(['AA', 'I']);
    expect(segs[0]?.endMs).toBeCloseTo(60);
    expect(segs[0]?.emphasis).toBeGreaterThan(1);
  });
});

describe('visemeWeights', () => {
  const durationMs = 1500;
  const w = visemeWeights(PHONEMES, durationMs);
  const frames = w.length / BLENDSHAPE_COUNT;
  const at = (f: number, c: number) => w[f * BLENDSHAPE_COUNT + c] as number;
  const aperture = (f: number) => lipAperture(w, f * BLENDSHAPE_COUNT);

  it('gives one frame per 40 ms', () => {
    expect(frames).toBe(Math.ceil(durationMs / 40));
  });

  it('closes the lips on /p b m/ and opens the jaw on vowels', () => {
    for (const p of PHONEMES.filter((x) => /^[pbm]$/.test(x.phoneme))) {
      const mid = frameAt((p.startMs + p.endMs) / 2);
      expect(aperture(mid)).toBeLessThan(0.03);
      expect(at(mid, B.mouthPressLeft)).toBeGreaterThan(0.25);
      expect(at(mid, B.mouthClose)).toBeCloseTo(at(mid, B.jawOpen), 1);
    }
    expect(at(frameAt(440), B.jawOpen)).toBeGreaterThan(0.35); // /æ/
    expect(aperture(frameAt(440))).toBeGreaterThan(0.3);
    expect(at(frameAt(1120), B.mouthStretchLeft)).toBeGreaterThan(0.2); // /iː/ spreads
  });

  it('rests in silence, within ARKit speech ranges everywhere', () => {
    expect(at(frameAt(40), B.jawOpen)).toBeLessThan(0.05);
    expect(at(frameAt(760), B.jawOpen)).toBeLessThan(0.05); // the 300 ms pause
    expect(at(frameAt(1440), B.jawOpen)).toBeLessThan(0.05);
    for (let i = 0; i < w.length; i++) {
      expect(w[i]).toBeGreaterThanOrEqual(0);
      expect(w[i]).toBeLessThanOrEqual(0.7);
    }
    // Eyes, brows and other non-mouth channels are not set by visemes.
    for (let f = 0; f < frames; f++) {
      expect(at(f, B.eyeBlinkLeft)).toBe(0);
      expect(at(f, B.browInnerUp)).toBe(0);
    }
  });

  it('anticipates: the lips start closing before the bilabial starts', () => {
    const before = frameAt(980) - 1; // 40 ms before /b/
    const vowel = frameAt(940);
    expect(at(before, B.mouthPressLeft)).toBeGreaterThan(0.05);
    expect(aperture(before)).toBeLessThan(aperture(vowel - 1) + 1e-6);
  });
});
