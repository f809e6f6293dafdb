import { writeFile } from 'node:fs/promises';
import { encodeWav } from '../../audio/index.ts';
import { EspeakTts, LOCAL_VOICES_APT, VoiceCatalog } from '../../tts/index.ts';
import { type Command, numberFlag, parseCommandArgs, UsageError, writeJson } from '../command.ts';

export const ttsCommand: Command = {
  usage: `Usage: facecast tts "<text>" --out <speech.wav> [--voice engine:name] [--rate 1] [--pitch 1]
       facecast tts --voices [--json]

Voices are named engine:name (flite:slt, festival:cmu_us_slt_arctic_hts, rhvoice:clb,
espeak:en-us+f3); a bare name is espeak-ng's (en-us+f3), the embedded default (GPL-3.0,
robotic, ~100 languages). Better English voices, found when installed (Debian; RHVoice is in
non-free):
  ${LOCAL_VOICES_APT}
--voices lists every voice with its engine, languages and licence terms.

Options:
  --out <file>     WAV file to write (16 kHz mono)
  --voice <id>     engine:name, or an espeak language voice (en-us, fr…) with +variant (en-us+f3)
  --rate <x>       speaking-rate multiplier, 0.5–2.5 (default 1)
  --pitch <x>      pitch multiplier, 0.1–1.9 (default 1; espeak and rhvoice only)
  --voices         list the voices (engine, languages, terms) and the engines not found
  --json           machine-readable output (includes phoneme and word timing when the engine gives them)`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.argv,
      {
        out: { type: 'string', short: 'o' },
        voice: { type: 'string' },
        rate: { type: 'string' },
        pitch: { type: 'string' },
        voices: { type: 'boolean' },
      },
      { min: 0, max: 1 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const tts = await VoiceCatalog.load();
    try {
      if (values.voices) {
        const voices = await tts.voices();
        const espeak = tts.provider('espeak');
        const variants = espeak instanceof EspeakTts ? espeak.variants : [];
        if (values.json)
          writeJson(context, { engines: tts.engines, missing: tts.missing, voices, variants });
        else context.stdout.write(voiceListing(voices, tts, variants));
        return;
      }
      const text = positionals[0];
      if (text === undefined) throw new UsageError('give the text to speak');
      if (!values.out) throw new UsageError('--out <speech.wav> is required');
      const result = await tts.synthesize(text, {
        voice: values.voice,
        rate: values.rate === undefined ? undefined : numberFlag(values.rate, 'rate', 1),
        pitch: values.pitch === undefined ? undefined : numberFlag(values.pitch, 'pitch', 1),
        signal: context.signal,
      });
      await writeFile(values.out, encodeWav(result.samples, result.sampleRate));
      if (values.json)
        writeJson(context, {
          out: values.out,
          voice: result.voice,
          durationMs: Math.round(result.durationMs),
          phonemes: result.phonemes,
          words: result.words,
        });
      else
        context.stdout.write(
          `wrote ${values.out}: ${(result.durationMs / 1000).toFixed(2)} s, voice ${result.voice}, ${result.phonemes?.length ?? 0} phonemes\n`,
        );
    } finally {
      await tts.close();
    }
  },
};

function voiceListing(
  voices: Awaited<ReturnType<VoiceCatalog['voices']>>,
  tts: VoiceCatalog,
  variants: string[],
): string {
  const lines = voices.map(
    (v) => `${v.id.padEnd(34)} ${(v.languages[0] ?? '').padEnd(14)} ${v.name} — ${v.terms}`,
  );
  const missing = tts.missing.map((m) => `not found: ${m.engine} (${m.reason})`);
  return `${[...lines, '', `espeak variants (append as +name): ${variants.join(' ')}`, ...missing].join('\n')}\n`;
}
