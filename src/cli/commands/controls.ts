import { readControlsFile, writeControlsFile } from '../../controls/index.ts';
import { type Command, parseCommandArgs, writeJson } from '../command.ts';

export const controlsCommand: Command = {
  usage: `Usage: facecast controls <in.csv|in.json> [--out <out.csv|out.json>] [--json]

Reads a Controls sequence (ARKit-style CSV or facecast JSON), validates every value (52 ARKit
weights in [0, 1], rotations in radians), prints a summary, and writes it in the format the
--out extension names.`,
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
    const sequence = await readControlsFile(positionals[0] as string);
    if (values.out) await writeControlsFile(values.out, sequence);
    const report = {
      frames: sequence.frames.length,
      fps: sequence.fps,
      durationMs: (sequence.frames.length * 1000) / sequence.fps,
      out: values.out ?? null,
    };
    if (values.json) writeJson(context, report);
    else
      context.stdout.write(
        `${report.frames} frames at ${report.fps} fps (${(report.durationMs / 1000).toFixed(2)} s) — valid${values.out ? `; wrote ${values.out}` : ''}\n`,
      );
  },
};
