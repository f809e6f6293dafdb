import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { locateFfmpeg, openVideoFrames } from '../../src/media/index.ts';

const run = promisify(execFile);

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
export const fixture = (path: string): string => join(FIXTURES, path);

/** A temporary folder removed by the returned cleanup. */
export async function tempDir(
  prefix = 'facecast-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs the project's ffmpeg with the given arguments (test material generation). */
export async function ffmpeg(args: string[]): Promise<void> {
  await run(locateFfmpeg().ffmpegPath, ['-v', 'error', '-y', ...args]);
}

/** Every frame of a video at its own rate, as RGB24. */
export async function decodeFrames(path: string): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const f of await openVideoFrames(path, { fps: 'source' })) frames.push(f.rgb);
  return frames;
}

/** x264's settings string (the SEI text x264 writes into the stream): how a video was encoded. */
export async function x264Settings(path: string): Promise<string> {
  const text = (await readFile(path)).toString('latin1');
  const at = text.indexOf('x264 - core');
  return text.slice(at, at + 2000);
}
