/**
 * Debian's flite (CMU Flite 2.2) as a second synthetic voice family for the motion training
 * data: its voices (kal, kal16: diphone; awb, rms, slt: clustergen) sound nothing like espeak's
 * formant synthesis. `flite -psdur` prints each phone with its end time; the ARPAbet phones are
 * mapped to IPA so the same viseme/coarticulation code makes the targets. Synthesis goes through
 * src/tts's flite provider (the product's `flite:` voices).
 */
import { flitePhonemes, loadFlite, type PhonemeEvent } from '../../src/tts/index.ts';

/** The general-purpose voices (awb_time only speaks clock times). */
export const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'] as const;

/** Parses `flite -psdur` output (`pau:0.164 hh:0.255 …`, end times in s) into timed IPA phones. */
export function parseFlitePhones(text: string): PhonemeEvent[] {
  return flitePhonemes(text);
}

let provider: ReturnType<typeof loadFlite> | undefined;

/**
 * Speaks `text` with a flite voice (src/tts's flite provider). `stretch` > 1 speaks slower
 * (flite's duration_stretch). Returns 16 kHz samples and the phones' timing.
 */
export async function fliteSpeak(
  text: string,
  voice: string,
  stretch: number,
): Promise<{ samples: Float32Array; phonemes: PhonemeEvent[] }> {
  provider ??= loadFlite();
  const flite = await provider;
  if (!flite) throw new Error('flite is not installed (apt-get install flite)');
  const result = await flite.synthesize(text, { voice, rate: 1 / stretch });
  return { samples: result.samples, phonemes: result.phonemes ?? [] };
}
