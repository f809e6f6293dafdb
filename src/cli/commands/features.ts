import { decodeAudioFile } from '../../audio/index.ts';
import { computeLogMel, MEL_CONFIG, writeNpy } from '../../features/index.ts';
import { type Command, parseCommandArgs, UsageError, writeJson } from '../command.ts';

export const featuresCommand: Command = {
  usage: `Usage: facecast features <audio> --out <mel.npy> [--json]

Writes the log-mel spectrogram facecast's models consume: float32 array (frames, 80), 10 ms
hop, frame t centred at t × 10 ms (see MEL_CONFIG in src/features/mel.ts). Training scripts read
these files, so training and serving share one feature implementation.

Options:
  --out <file>     .npy file to write (required)
  --json           machine-readable output`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.argv,
      { out: { type: 'string', short: 'o' } },
      { min: 1, max: 1 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    if (!values.out) throw new UsageError('--out <file.npy> is required');
    const decoded = await decodeAudioFile(positionals[0] as string, { signal: context.signal });
    const mel = computeLogMel(decoded.samples);
    await writeNpy(values.out, { data: mel.data, shape: [mel.frames, mel.bands] });
    const report = {
      out: values.out,
      frames: mel.frames,
      bands: mel.bands,
      hopMs: (MEL_CONFIG.hopLength / MEL_CONFIG.sampleRate) * 1000,
      durationMs: decoded.durationMs,
    };
    if (values.json) writeJson(context, report);
    else
      context.stdout.write(
        `wrote ${values.out}: ${mel.frames} frames × ${mel.bands} bands (10 ms hop)\n`,
      );
  },
};
