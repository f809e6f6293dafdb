import { isFacecastError } from '../core/index.ts';
import type { Command, CommandContext } from './command.ts';
import { audioCommand } from './commands/audio.ts';
import { avatarCommand } from './commands/avatar.ts';
import { controlsCommand } from './commands/controls.ts';
import { dubCommand } from './commands/dub.ts';
import { evalCommand } from './commands/eval.ts';
import { featuresCommand } from './commands/features.ts';
import { motionCommand } from './commands/motion.ts';
import { renderCommand } from './commands/render.ts';
import { renderControlsCommand } from './commands/render-controls.ts';
import { serveCommand } from './commands/serve.ts';
import { trackCommand } from './commands/track.ts';
import { ttsCommand } from './commands/tts.ts';
import { workerCommand } from './commands/worker.ts';

const COMMANDS: Command[] = [
  audioCommand,
  featuresCommand,
  controlsCommand,
  avatarCommand,
  trackCommand,
  motionCommand,
  ttsCommand,
  renderControlsCommand,
  renderCommand,
  dubCommand,
  serveCommand,
  workerCommand,
  evalCommand,
];

const HELP = `facecast — speech to a talking avatar

Usage: facecast <command> [options]     (facecast <command> --help for details)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Every command takes --json for machine-readable output. Exit codes: 0 ok, 1 internal error,
2 bad input or usage, 130 interrupted.`;

/** Runs the CLI; returns the process exit code. */
export async function main(
  argv: string[],
  io: Pick<CommandContext, 'stdout' | 'stderr'> = process,
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`facecast: unknown command "${name}" (see facecast --help)\n`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const json = rest.includes('--json');
  try {
    await command.run({
      argv: rest,
      stdout: io.stdout,
      stderr: io.stderr,
      signal: controller.signal,
      interactive: Boolean((io.stderr as NodeJS.WriteStream).isTTY),
    });
    return 0;
  } catch (error) {
    const known = isFacecastError(error);
    const code = known ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`facecast ${name}: ${code}: ${message.split('\n')[0]}\n`);
    if (json)
      io.stdout.write(`${JSON.stringify({ error: known ? error.toJSON() : { code, message } })}\n`);
    if (!known && process.env.FACECAST_DEBUG) io.stderr.write(`${(error as Error).stack}\n`);
    if (!known) return 1;
    return error.kind === 'aborted' ? 130 : error.kind === 'internal' ? 1 : 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bin/facecast')) {
  process.exitCode = await main(process.argv.slice(2));
}
