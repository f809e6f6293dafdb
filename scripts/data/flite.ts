/**
 * Debian's flite (CMU Flite 2.2) as a second synthetic voice family for the motion training
 * data: its voices (kal, kal16: diphone; awb, rms, slt: clustergen) sound nothing like espeak's
 * formant synthesis. `flite -psdur` prints each phone with its end time; the ARPAbet phones are
 * mapped to IPA so the same viseme/coarticulation code makes the targets. Training-data only:
 * the product never needs flite.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import type { PhonemeEvent } from '../../src/tts/index.ts';

const run = promisify(execFile);

/** The general-purpose voices (awb_time only speaks clock times). */
export const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'] as const;

/** CMU ARPAbet (flite's cmulex phone set) → IPA as espeak writes it. */
const ARPABET_IPA: Readonly<Record<string, string>> = Object.freeze({
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

/** Parses `flite -psdur` output (`pau:0.164 hh:0.255 …`, end times in s) into timed IPA phones. */
export function parseFlitePhones(text: string): PhonemeEvent[] {
  const out: PhonemeEvent[] = [];
  let startMs = 0;
  for (const token of text.trim().split(/\s+/)) {
    const [phone = '', end = ''] = token.split(':');
    const endMs = Number(end) * 1000;
    if (!Number.isFinite(endMs)) continue;
    const ipa = ARPABET_IPA[phone];
    if (ipa && endMs > startMs) out.push({ phoneme: ipa, startMs, endMs });
    startMs = endMs;
  }
  return out;
}

/**
 * Speaks `text` with a flite voice. `stretch` > 1 speaks slower (flite's duration_stretch).
 * Returns 16 kHz samples and the phones' timing.
 */
export async function fliteSpeak(
  text: string,
  voice: string,
  stretch: number,
): Promise<{ samples: Float32Array; phonemes: PhonemeEvent[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'facecast-flite-'));
  try {
    const wav = join(dir, 'out.wav');
    const args = ['-voice', voice, '--setf', `duration_stretch=${stretch.toFixed(3)}`];
    const { stdout } = await run('flite', [...args, '-psdur', '-t', text, '-o', wav]);
    const samples = (await decodeAudioFile(wav)).samples;
    return { samples, phonemes: parseFlitePhones(stdout) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
