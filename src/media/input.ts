import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MediaError } from './errors.ts';

/** Options for accepting a local media file as input. */
export interface LocalInputOptions {
  /** Largest accepted file, in bytes. Default: 2 GiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_INPUT_BYTES = 2 * 1024 ** 3;

/**
 * ffmpeg arguments that restrict an input to the local file protocol, so a crafted file
 * (an HLS playlist, a concat list, an SDP) cannot make ffmpeg open URLs or devices.
 * Pair it with {@link ffmpegInputUrl}, which stops a path such as `http:x` from being
 * read as a protocol.
 */
export const LOCAL_ONLY_INPUT_OPTIONS: readonly string[] = Object.freeze([
  '-protocol_whitelist',
  'file',
]);

export function ffmpegInputUrl(absolutePath: string): string {
  return `file:${absolutePath}`;
}

export interface LocalInput {
  absolutePath: string;
  sizeBytes: number;
  /** Device, inode, size and change times: differs once the file is replaced or rewritten. */
  version: string;
}

/** Checks that `path` is a readable, non-empty regular file within the size limit. */
export async function checkLocalInput(
  path: string,
  options: LocalInputOptions = {},
): Promise<LocalInput> {
  const absolutePath = resolve(path);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  let info: BigIntStats;
  try {
    info = await stat(absolutePath, { bigint: true });
  } catch (cause) {
    throw new MediaError('MEDIA_NOT_FOUND', `no such file: ${path}`, { cause });
  }
  if (!info.isFile()) throw new MediaError('MEDIA_NOT_A_FILE', `not a regular file: ${path}`);
  const sizeBytes = Number(info.size);
  if (sizeBytes === 0) throw new MediaError('MEDIA_EMPTY', `file is empty: ${path}`);
  if (sizeBytes > maxBytes) {
    throw new MediaError(
      'MEDIA_TOO_LARGE',
      `file is ${sizeBytes} bytes; the limit is ${maxBytes} bytes`,
      { details: { sizeBytes, maxBytes } },
    );
  }
  const version = [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join(':');
  return { absolutePath, sizeBytes, version };
}
