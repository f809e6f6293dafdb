/**
 * ARPAbet (the CMU phone set flite and festival's US voices speak in) → IPA as espeak-ng
 * writes it, so every provider reports phonemes the same way and src/motion's viseme code
 * reads them all.
 */
import type { PhonemeEvent } from './provider.ts';

/** CMU ARPAbet (lower case, no stress digits) → IPA. */
export const ARPABET_IPA: Readonly<Record<string, string>> = Object.freeze({
  aa: 'ɑː',
  ae: 'æ',
  ah: 'ʌ',
  ao: 'ɔː',
  aw: 'aʊ',
  ax: 'ə',
  axr: 'ɚ',
  ay: 'aɪ',
  b: 'b',
  ch: 'tʃ',
  d: 'd',
  dh: 'ð',
  eh: 'ɛ',
  el: 'əl',
  em: 'əm',
  en: 'ən',
  er: 'ɜː',
  ey: 'eɪ',
  f: 'f',
  g: 'ɡ',
  hh: 'h',
  ih: 'ɪ',
  ix: 'ɪ',
  iy: 'iː',
  jh: 'dʒ',
  k: 'k',
  l: 'l',
  m: 'm',
  n: 'n',
  ng: 'ŋ',
  ow: 'oʊ',
  oy: 'ɔɪ',
  p: 'p',
  r: 'ɹ',
  s: 's',
  sh: 'ʃ',
  t: 't',
  th: 'θ',
  uh: 'ʊ',
  uw: 'uː',
  v: 'v',
  w: 'w',
  y: 'j',
  z: 'z',
  zh: 'ʒ',
});

/**
 * Phone end times (seconds, in order, each phone starting where the previous one ended) →
 * phoneme events in ms, in IPA where the phone is ARPAbet (else the engine's symbol); the
 * pause symbol `pau` is left out.
 */
export function phonesFromEndTimes(phones: { phone: string; endS: number }[]): PhonemeEvent[] {
  const out: PhonemeEvent[] = [];
  let startMs = 0;
  for (const { phone, endS } of phones) {
    const endMs = endS * 1000;
    if (phone !== 'pau' && endMs > startMs)
      out.push({ phoneme: ARPABET_IPA[phone] ?? phone, startMs, endMs });
    startMs = Math.max(startMs, endMs);
  }
  return out;
}
