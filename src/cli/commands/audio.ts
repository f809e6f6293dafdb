import { analyzeAudio, decodeAudioFile } from '../../audio/index.ts';
import { type Command, parseCommandArgs, writeJson } from '../command.ts';

export const audioCommand: Command = {
  usage: `Usage: facecast audio <file> [--json]

Decodes any file ffmpeg reads (wav, mp3, m4a, ogg, a video's sound) to 16 kHz mono and prints
its duration, the source sample rate and channels, peak and RMS level (dBFS), and the fraction
of voiced 25 ms frames. Silent audio is reported as silent, not as an error.

Options:
  --json   machine-readable output
  -h, --help`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(context.argv, {}, { min: 1, max: 1 });
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const file = positionals[0] as string;
    const decoded = await decodeAudioFile(file, { signal: context.signal });
    const stats = analyzeAudio(decoded.samples);
    const report = {
      file,
      durationMs: round(decoded.durationMs, 1),
      source: {
        format: decoded.source.formatName,
        codec: decoded.source.codec,
        sampleRate: decoded.source.sampleRate,
        channels: decoded.source.channels,
        bitsPerSample: decoded.source.bitsPerSample ?? null,
      },
      peak: round(stats.peak, 5),
      peakDbfs: dbOrNull(stats.peakDbfs),
      rmsDbfs: dbOrNull(stats.rmsDbfs),
      voicedFraction: round(stats.voicedFraction, 3),
      silent: stats.silent,
      warnings: decoded.warnings,
    };
    if (values.json) {
      writeJson(context, report);
      return;
    }
    const s = report.source;
    context.stdout.write(
      [
        `file           ${file}`,
        `duration       ${(decoded.durationMs / 1000).toFixed(3)} s`,
        `source         ${s.codec} in ${s.format}, ${s.sampleRate} Hz, ${s.channels} ch${s.bitsPerSample ? `, ${s.bitsPerSample}-bit` : ''}`,
        `peak           ${fmtDb(report.peakDbfs)} dBFS`,
        `rms            ${fmtDb(report.rmsDbfs)} dBFS`,
        `voiced         ${(stats.voicedFraction * 100).toFixed(1)} % of frames`,
        ...(stats.silent ? ['note           the audio is silent'] : []),
        ...decoded.warnings.map((w) => `warning        ${w}`),
      ].join('\n') + '\n',
    );
  },
};

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function dbOrNull(db: number): number | null {
  return Number.isFinite(db) ? round(db, 2) : null;
}

function fmtDb(db: number | null): string {
  return db === null ? '-inf' : db.toFixed(1);
}
