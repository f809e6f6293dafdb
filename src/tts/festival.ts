/**
 * Festival (Debian `festival` + voice packages, e.g. `festvox-us-slt-hts`): the HTS voice
 * is the most natural free English voice here. Each call sends a small Scheme program to one
 * long-lived `festival --pipe` ({@link FestivalProcess}: start-up, ~1 s, is paid once) that
 * synthesises the text as one utterance, saves the wave and prints every segment's end and
 * every word's start/end, so the provider reports phoneme and word timing.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { phonesFromEndTimes } from './arpabet.ts';
import {
  type EngineDriver,
  type EngineRequest,
  type EngineTimings,
  EngineTts,
  type EngineTtsOptions,
} from './engine.ts';
import { FestivalProcess } from './festival-process.ts';
import { findExecutable } from './process.ts';
import type { VoiceInfo } from './provider.ts';

/** Where Debian installs Festival voices: `<root>/<language>/<voice>/festvox/<voice>.scm`. */
const VOICE_ROOTS = ['/usr/share/festival/voices', '/usr/lib/festival/voices'];
const ENGINE_TERMS = 'Festival: MIT-style free licence (CSTR Edinburgh)';
const KNOWN: Record<string, Omit<VoiceInfo, 'id' | 'engine' | 'terms'> & { data: string }> = {
  cmu_us_slt_arctic_hts: {
    name: 'CMU ARCTIC slt, HTS (US female)',
    languages: ['en-us', 'en'],
    gender: 'female',
    data: 'CMU ARCTIC + HTS voice: BSD-style free licence',
  },
  kal_diphone: {
    name: 'kal diphone (US male)',
    languages: ['en-us', 'en'],
    gender: 'male',
    data: 'CMU diphone voice: free licence',
  },
  rab_diphone: {
    name: 'rab diphone (British male)',
    languages: ['en-gb', 'en'],
    gender: 'male',
    data: 'CSTR diphone voice: free licence',
  },
};
const LANGUAGE_DIRS: Record<string, string[]> = { us: ['en-us', 'en'], english: ['en'] };
/** Preferred default voices, best first. */
const PREFERRED = ['cmu_us_slt_arctic_hts', 'kal_diphone'];

/** Finds festival on PATH and its installed voices; undefined when either is missing. */
export async function loadFestival(options: EngineTtsOptions = {}): Promise<EngineTts | undefined> {
  const command = await findExecutable('festival');
  if (!command) return undefined;
  const voices = await listVoices();
  if (voices.length === 0) return undefined;
  return new EngineTts(new FestivalDriver(command, voices), options);
}

async function listVoices(): Promise<VoiceInfo[]> {
  const voices: VoiceInfo[] = [];
  for (const root of VOICE_ROOTS) {
    for (const language of await readdir(root).catch(() => [] as string[])) {
      for (const id of await readdir(join(root, language)).catch(() => [] as string[])) {
        const scm = join(root, language, id, 'festvox', `${id}.scm`);
        const ok = await stat(scm).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!ok || voices.some((v) => v.id === id)) continue;
        const { data, ...known } = KNOWN[id] ?? {
          name: `Festival ${id}`,
          languages: LANGUAGE_DIRS[language] ?? [language],
          data: 'voice terms: see its Debian package copyright',
        };
        voices.push({
          id,
          ...known,
          engine: 'festival',
          terms: `${ENGINE_TERMS}; ${data}`,
          phonemeTiming: true,
        });
      }
    }
  }
  return voices;
}

class FestivalDriver implements EngineDriver {
  readonly engine = 'festival';
  readonly supportsPitch = false;
  readonly defaultVoice: string;
  readonly #process: FestivalProcess;

  constructor(
    command: string,
    readonly voices: readonly VoiceInfo[],
  ) {
    this.#process = new FestivalProcess(command);
    const preferred = PREFERRED.find((id) => voices.some((v) => v.id === id));
    this.defaultVoice = preferred ?? (voices[0]?.id as string);
  }

  async synthesize(request: EngineRequest): Promise<EngineTimings> {
    const printed = await this.#process.run(
      festivalScript(request),
      request.signal ? { signal: request.signal } : {},
    );
    return parseFestivalTimings(printed);
  }

  close(): void {
    this.#process.close();
  }
}

/**
 * The Scheme program for one request: select the voice, set the rate (diphone voices read
 * `Duration_Stretch`, HTS voices the engine's `-r` speed), synthesise, save, print timings.
 */
export function festivalScript(
  request: Pick<EngineRequest, 'text' | 'voice' | 'rate' | 'wavPath'>,
): string {
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    `(voice_${request.voice})`,
    `(Parameter.set 'Duration_Stretch ${(1 / request.rate).toFixed(4)})`,
    `(if hts_engine_params (set! hts_engine_params (append hts_engine_params (list (list "-r" ${request.rate.toFixed(4)})))))`,
    `(set! utt (utt.synth (Utterance Text ${quote(request.text)})))`,
    `(utt.save.wave utt ${quote(request.wavPath)} 'riff)`,
    `(mapcar (lambda (s) (format t "P %s %f\\n" (item.name s) (item.feat s "end"))) (utt.relation.items utt 'Segment))`,
    `(mapcar (lambda (w) (format t "W %f %f %s\\n" (item.feat w "word_start") (item.feat w "word_end") (item.name w))) (utt.relation.items utt 'Word))`,
    '',
  ].join('\n');
}

/** `P <phone> <end s>` and `W <start s> <end s> <word>` lines → timings in ms. */
export function parseFestivalTimings(printed: string): EngineTimings {
  const phones: { phone: string; endS: number }[] = [];
  const words: { text: string; startMs: number; endMs: number }[] = [];
  for (const line of printed.split('\n')) {
    const p = /^P (\S+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (p) phones.push({ phone: p[1] as string, endS: Number(p[2]) });
    const w = /^W (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (.+)$/.exec(line.trim());
    if (w)
      words.push({
        text: w[3] as string,
        startMs: Number(w[1]) * 1000,
        endMs: Number(w[2]) * 1000,
      });
  }
  return { phonemes: phonesFromEndTimes(phones), words };
}
