import { isFacecastError } from '../core/index.ts';
import type { Command, CommandContext } from './command.ts';

/**
 * The commands, each loaded only when run: a command's modules (and the libraries they pull
 * in: the HTTP server, the renderer, onnxruntime…) cost start-up time that the others
 * should not pay; `--help` loads none of them.
 */
interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'audio',
    summary: 'Describe an audio file: duration, source rate/channels, levels, voiced fraction',
    load: async () => (await import('./commands/audio.ts')).audioCommand,
  },
  {
    name: 'features',
    summary: 'Export the log-mel features of an audio file as .npy (for the Python trainers)',
    load: async () => (await import('./commands/features.ts')).featuresCommand,
  },
  {
    name: 'controls',
    summary: 'Validate a Controls file (.csv/.json) and optionally convert it',
    load: async () => (await import('./commands/controls.ts')).controlsCommand,
  },
  {
    name: 'avatar',
    summary: 'Build an avatar from a photo or a short video of one person',
    load: async () => (await import('./commands/avatar.ts')).avatarCommand,
  },
  {
    name: 'track',
    summary: 'Track a face video into Controls (25 fps ARKit-52, head pose, gaze, body)',
    load: async () => (await import('./commands/track.ts')).trackCommand,
  },
  {
    name: 'motion',
    summary: 'Animate speech: audio (or --text via TTS) → Controls per 25 fps frame (CSV/JSON)',
    load: async () => (await import('./commands/motion.ts')).motionCommand,
  },
  {
    name: 'tts',
    summary:
      'Speak text with a local voice (espeak-ng embedded; flite, festival, RHVoice when installed) → 16 kHz WAV',
    load: async () => (await import('./commands/tts.ts')).ttsCommand,
  },
  {
    name: 'render-controls',
    summary: 'Render a Controls file (tracked, predicted or edited) onto an avatar as MP4',
    load: async () => (await import('./commands/render-controls.ts')).renderControlsCommand,
  },
  {
    name: 'render',
    summary: 'Photo + audio or text → MP4 of the avatar speaking (H.264 + AAC)',
    load: async () => (await import('./commands/render.ts')).renderCommand,
  },
  {
    name: 'dub',
    summary: 'Video + new audio → the same video with the mouth following the new audio',
    load: async () => (await import('./commands/dub.ts')).dubCommand,
  },
  {
    name: 'serve',
    summary: 'Run the HTTP API: avatars, video jobs (SSE progress, MP4 output), /docs',
    load: async () => (await import('./commands/serve.ts')).serveCommand,
  },
  {
    name: 'worker',
    summary: 'Run video and dub jobs from a Redis queue (facecast serve --queue …)',
    load: async () => (await import('./commands/worker.ts')).workerCommand,
  },
  {
    name: 'eval',
    summary: 'Score self-reenactment of any clip: PSNR/SSIM and flicker, warp-only vs generator',
    load: async () => (await import('./commands/eval.ts')).evalCommand,
  },
];

/** The command names, in `--help` order. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

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
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`facecast: unknown command "${name}" (see facecast --help)\n`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const json = rest.includes('--json');
  try {
    const command = await entry.load();
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
