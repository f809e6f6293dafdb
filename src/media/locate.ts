import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { MediaError } from './errors.ts';

const require = createRequire(import.meta.url);

export interface FfmpegBinaries {
  ffmpegPath: string;
  ffprobePath: string;
  /** Where each binary came from, for `facecast doctor` style diagnostics. */
  source: { ffmpeg: BinarySource; ffprobe: BinarySource };
}

export type BinarySource = 'env' | 'path' | 'npm';

let cached: FfmpegBinaries | undefined;

/**
 * Finds ffmpeg and ffprobe, in this order: the `FFMPEG_PATH` / `FFPROBE_PATH` environment
 * variables, the binaries on `PATH`, then the static builds shipped inside npm
 * (`@ffmpeg-installer/ffmpeg`, `@ffprobe-installer/ffprobe`), which work offline.
 *
 * @example
 * const { ffmpegPath } = locateFfmpeg();
 */
export function locateFfmpeg(): FfmpegBinaries {
  if (cached) return cached;
  const ffmpeg = find('ffmpeg', 'FFMPEG_PATH', '@ffmpeg-installer/ffmpeg');
  const ffprobe = find('ffprobe', 'FFPROBE_PATH', '@ffprobe-installer/ffprobe');
  cached = {
    ffmpegPath: ffmpeg.path,
    ffprobePath: ffprobe.path,
    source: { ffmpeg: ffmpeg.source, ffprobe: ffprobe.source },
  };
  return cached;
}

function find(
  name: string,
  envVar: string,
  npmPackage: string,
): { path: string; source: BinarySource } {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new MediaError('FFMPEG_NOT_FOUND', `${envVar}=${fromEnv} is not an executable file`);
    }
    return { path: fromEnv, source: 'env' };
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return { path: candidate, source: 'path' };
  }
  try {
    const mod = require(npmPackage) as { path: string };
    ensureExecutable(mod.path);
    return { path: mod.path, source: 'npm' };
  } catch (cause) {
    throw new MediaError(
      'FFMPEG_NOT_FOUND',
      `${name} not found: set ${envVar}, put ${name} on PATH, or reinstall ${npmPackage}`,
      { cause },
    );
  }
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * npm installs run with `ignore-scripts` here (see .npmrc), so the ffprobe package's own
 * `chmod u+x` postinstall never ran; do it on first use.
 */
function ensureExecutable(path: string): void {
  if (isExecutable(path)) return;
  chmodSync(path, statSync(path).mode | 0o755);
}
