import { PassThrough } from 'node:stream';
import type { FfmpegCommand } from 'fluent-ffmpeg';

/**
 * Starts `command` with its output on a pipe and returns the stream to read it from.
 *
 * The stream never emits 'close'. fluent-ffmpeg takes a piped output that closes as the
 * reader going away: 20 ms later it reports "Output stream closed" as the command's error,
 * unless ffmpeg's exit has been seen by then. A reader that keeps up drains the pipe and
 * closes the stream as ffmpeg closes its stdout, and under load the exit often arrives
 * later than that, so complete decodes failed now and then. Here the command's own
 * 'end' / 'error' (ffmpeg's exit status) is the only verdict; a reader that stops early
 * kills ffmpeg itself.
 *
 * @example
 * const output = pipeFfmpegOutput(command);
 * for await (const piece of output) use(piece);
 */
export function pipeFfmpegOutput(command: FfmpegCommand): AsyncIterable<Buffer> {
  const output = new PassThrough({ emitClose: false });
  command.pipe(output, { end: true });
  return output;
}
