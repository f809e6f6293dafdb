/**
 * flite (CMU Flite, Debian `flite`): small, fast (~0.05 real-time factor), clearer than
 * espeak-ng; English voices built in (slt female; awb, rms, kal male). `-psdur` prints each
 * phone's end time, so the provider reports exact phoneme timing (ARPAbet, reported as IPA).
 */

import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { phonesFromEndTimes } from './arpabet.ts';
import {
  type EngineDriver,
  type EngineRequest,
  type EngineTimings,
  EngineTts,
  type EngineTtsOptions,
} from './engine.ts';
import { findExecutable, runEngine } from './process.ts';
import type { PhonemeEvent, VoiceInfo } from './provider.ts';

const TERMS = 'BSD-style (CMU Flite licence; voices from CMU ARCTIC / CMU, same terms)';
/** What flite's built-in voices are; others it lists get generic details. */
const KNOWN: Record<string, { name: string; languages: string[]; gender: 'female' | 'male' }> = {
  slt: { name: 'CMU ARCTIC slt (US female)', languages: ['en-us', 'en'], gender: 'female' },
  rms: { name: 'CMU ARCTIC rms (US male)', languages: ['en-us', 'en'], gender: 'male' },
  awb: {
    name: 'CMU ARCTIC awb (Scottish male)',
    languages: ['en-gb-scotland', 'en'],
    gender: 'male',
  },
  kal16: { name: 'kal diphone 16 kHz (US male)', languages: ['en-us', 'en'], gender: 'male' },
  kal: { name: 'kal diphone 8 kHz (US male)', languages: ['en-us', 'en'], gender: 'male' },
};
/** Limited-domain voices that speak only one kind of sentence (awb_time: the time of day). */
const LIMITED = /_time$/;

/** Finds flite on PATH and lists its voices; undefined when it is not installed. */
export async function loadFlite(options: EngineTtsOptions = {}): Promise<EngineTts | undefined> {
  const command = await findExecutable('flite');
  if (!command) return undefined;
  const listing = await runEngine(command, ['-lv'], { timeoutMs: 10_000 });
  const names = listing.replace(/^.*?:/s, '').trim().split(/\s+/).filter(Boolean);
  const voices: VoiceInfo[] = names
    .filter((n) => !LIMITED.test(n))
    .map((id) => ({
      id,
      ...(KNOWN[id] ?? { name: `flite ${id}`, languages: ['en'] }),
      engine: 'flite',
      terms: TERMS,
      phonemeTiming: true,
    }));
  if (voices.length === 0) return undefined;
  return new EngineTts(new FliteDriver(command, voices), options);
}

class FliteDriver implements EngineDriver {
  readonly engine = 'flite';
  readonly supportsPitch = false;
  readonly defaultVoice: string;

  constructor(
    readonly command: string,
    readonly voices: readonly VoiceInfo[],
  ) {
    this.defaultVoice = voices.find((v) => v.id === 'slt')?.id ?? (voices[0]?.id as string);
  }

  async synthesize(request: EngineRequest): Promise<EngineTimings> {
    // flite reads a file, not stdin (Node's stdin pipe is a socket that /dev/stdin cannot open)
    const textPath = join(dirname(request.wavPath), 'text.txt');
    await writeFile(textPath, request.text);
    const args = [
      '-voice',
      request.voice,
      '--setf',
      `duration_stretch=${(1 / request.rate).toFixed(4)}`,
      '-psdur',
      '-f',
      textPath,
      '-o',
      request.wavPath,
    ];
    const printed = await runEngine(this.command, args, {
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return { phonemes: flitePhonemes(printed) };
  }
}

/** flite's `-psdur` output → phoneme events (IPA, ms from the audio's start). */
export function flitePhonemes(printed: string): PhonemeEvent[] {
  return phonesFromEndTimes(parsePsdur(printed));
}

/**
 * `pau:0.164 hh:0.255 …` (phone:end time in s), one line per utterance (sentence), each
 * line's times counted from that utterance's start → phones with end times in the whole audio.
 */
export function parsePsdur(printed: string): { phone: string; endS: number }[] {
  const out: { phone: string; endS: number }[] = [];
  let offsetS = 0;
  for (const line of printed.split('\n')) {
    let lineEndS = 0;
    for (const token of line.split(/\s+/)) {
      const m = /^([a-z]+):(\d+(?:\.\d+)?)$/.exec(token);
      if (!m) continue;
      lineEndS = Number(m[2]);
      out.push({ phone: m[1] as string, endS: offsetS + lineEndS });
    }
    offsetS += lineEndS;
  }
  return out;
}
