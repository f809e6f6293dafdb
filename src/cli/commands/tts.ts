import { writeFile } from 'node:fs/promises';
import { encodeWav } from '../../audio/index.ts';
import { EspeakTts } from '../../tts/index.ts';
import { type Command, numberFlag, parseCommandArgs, UsageError, writeJson } from '../command.ts';

export const ttsCommand: Command = {
  name: 'tts',
  summary: 'Speak text with the embedded espeak-ng voice (robotic; offline) → 16 kHz WAV',
  usage: `Usage: facecast tts "<text>" --out <speech.wav> [--voice en-us+f3] [--rate 1] [--pitch 1]
       facecast tts --voices

The embedded provider is espeak-ng (GPL-3.0, optional dependency): intelligible in ~100
languages, fully offline, and robotic. It reports each phoneme's timing (--json lists them).

Options:
  --out <file>     WAV file to write (16 kHz mono)
  --voice <id>     a language voice (en-us, en-gb, fr, de…), optionally +variant (en-us+f3)
  --rate <x>       speaking-rate multiplier, 0.5–2.5 (default 1)
  --pitch <x>      pitch multiplier, 0.1–1.9 (default 1)
  --voices         list the voices and variants
  --json           machine-readable output (includes phoneme and word timing)`,
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
    const tts = await EspeakTts.load();
    try {
      if (values.voices) {
        const voices = await tts.voices();
        if (values.json) writeJson(context, { voices, variants: tts.variants });
        else
          context.stdout.write(
            `${voices.map((v) => `${v.id.padEnd(18)} ${v.name}`).join('\n')}\n\nvariants (append as +name): ${tts.variants.join(' ')}\n`,
          );
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
