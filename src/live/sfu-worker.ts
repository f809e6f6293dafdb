/**
 * Where the mediasoup worker binary lives. `npm run setup:sfu` builds it from the worker
 * source inside the installed `mediasoup` npm package into `.sfu/mediasoup-<version>/` at the
 * project root (outside node_modules, so `npm install` does not wipe it); `MEDIASOUP_WORKER_BIN`
 * overrides. The folder is keyed by the package version: a worker only talks to the
 * TypeScript layer it was built with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (two levels above src/live). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The installed mediasoup package: its folder and version; null when it is not installed. */
export function installedMediasoup(): { dir: string; version: string } | null {
  try {
    const require = createRequire(import.meta.url);
    // The package's exports hide package.json; its main is node/lib/index.js.
    const dir = resolve(dirname(require.resolve('mediasoup')), '..', '..');
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version: string;
    };
    return { dir, version };
  } catch {
    return null;
  }
}

/** Where `npm run setup:sfu` puts the worker built for mediasoup `version`. */
export function builtWorkerPath(version: string): string {
  return join(PROJECT_ROOT, '.sfu', `mediasoup-${version}`, 'mediasoup-worker');
}

/** The worker binary to run, or why there is none (shown when fan-out is off). */
export type WorkerBinary = { path: string } | { reason: string };

/** `MEDIASOUP_WORKER_BIN` if set, else the binary `npm run setup:sfu` built, else the reason. */
export function findWorkerBinary(env: NodeJS.ProcessEnv = process.env): WorkerBinary {
  const fromEnv = env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    return existsSync(fromEnv)
      ? { path: fromEnv }
      : { reason: `MEDIASOUP_WORKER_BIN (${fromEnv}) does not exist` };
  }
  const mediasoup = installedMediasoup();
  if (!mediasoup) return { reason: 'the mediasoup package is not installed' };
  const built = builtWorkerPath(mediasoup.version);
  if (existsSync(built)) return { path: built };
  return {
    reason: `no mediasoup worker binary: run \`npm run setup:sfu\` to build ${built} (or set MEDIASOUP_WORKER_BIN)`,
  };
}
