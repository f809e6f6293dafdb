/**
 * RHVoice (Debian non-free `rhvoice` + `rhvoice-english`): statistical parametric voices,
 * the most natural of the local engines. Its command line (`RHVoice-test`) reports no
 * timing, so this provider returns audio only (the motion model works from audio).
 * Terms differ per voice: the engine and the slt, clb, bdl and alan voices are LGPL-2.1+;
 * others (evgeniy-eng, lyubov) are CC-BY-NC-ND-4.0 — non-commercial.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type EngineDriver,
  type EngineRequest,
  type EngineTimings,
  EngineTts,
  type EngineTtsOptions,
} from './engine.ts';
import { findExecutable, runEngine } from './process.ts';
import type { VoiceInfo } from './provider.ts';

const VOICE_ROOT = '/usr/share/RHVoice/voices';
/** Voice data terms from Debian's rhvoice-english copyright file. */
const VOICE_TERMS: Record<string, string> = {
  slt: 'LGPL-2.1-or-later',
  clb: 'LGPL-2.1-or-later',
  bdl: 'LGPL-2.1-or-later',
  alan: 'LGPL-2.1-or-later',
  'evgeniy-eng': 'CC-BY-NC-ND-4.0 (non-commercial)',
  lyubov: 'CC-BY-NC-ND-4.0 (non-commercial)',
};
const LANGUAGES: Record<string, string[]> = {
  english: ['en'],
  russian: ['ru'],
  ukrainian: ['uk'],
  georgian: ['ka'],
  brazilian_portuguese: ['pt-br', 'pt'],
};

/** Finds RHVoice-test on PATH and the installed voices; undefined when either is missing. */
export async function loadRhvoice(options: EngineTtsOptions = {}): Promise<EngineTts | undefined> {
  const command = await findExecutable('RHVoice-test');
  if (!command) return undefined;
  const voices: VoiceInfo[] = [];
  for (const dir of await readdir(VOICE_ROOT).catch(() => [] as string[])) {
    const info = await readFile(join(VOICE_ROOT, dir, 'voice.info'), 'utf8').catch(() => '');
    const fields = new Map(
      info.split('\n').map((line) => line.split('=', 2).map((s) => s.trim()) as [string, string]),
    );
    const name = fields.get('name');
    if (!name) continue;
    const id = name.toLowerCase();
    const language = (fields.get('language') ?? '').toLowerCase().replace(/\s+/g, '_');
    const gender = fields.get('gender');
    voices.push({
      id,
      name: `RHVoice ${name}`,
      languages: LANGUAGES[language] ?? [language],
      engine: 'rhvoice',
      terms: `engine LGPL-2.1-or-later; voice ${VOICE_TERMS[id] ?? 'terms: see /usr/share/doc/rhvoice-english/copyright'}`,
      ...(gender === 'female' || gender === 'male' ? { gender } : {}),
      phonemeTiming: false,
    });
  }
  if (voices.length === 0) return undefined;
  return new EngineTts(new RhvoiceDriver(command, voices), options);
}

class RhvoiceDriver implements EngineDriver {
  readonly engine = 'rhvoice';
  readonly supportsPitch = true;
  readonly defaultVoice: string;

  constructor(
    readonly command: string,
    readonly voices: readonly VoiceInfo[],
  ) {
    this.defaultVoice = voices.find((v) => v.id === 'slt')?.id ?? (voices[0]?.id as string);
  }

  async synthesize(request: EngineRequest): Promise<EngineTimings> {
    // RHVoice's rate and pitch are percentages of the voice's own (it clamps rate to 50–200).
    await runEngine(
      this.command,
      [
        '-p',
        request.voice,
        '-r',
        String(Math.round(request.rate * 100)),
        '-t',
        String(Math.round(request.pitch * 100)),
        '-o',
        request.wavPath,
      ],
      { input: request.text, ...(request.signal ? { signal: request.signal } : {}) },
    );
    return {};
  }
}
