import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * The C allocator's settings for facecast's processes (docs/architecture.md, "Memory").
 *
 * Every job moves whole video frames through fresh buffers (a 512² RGB frame is 768 KiB; a
 * dub keeps every decoded frame for its second pass). On Linux each fresh 4 KiB page costs a
 * page fault when first written, ~11 µs in the VMs we run on: 2.2 ms per 512² frame, and an
 * 8 s dub's main thread took ~54,000 of them. glibc's malloc backs its heap with transparent
 * huge pages (one fault per 2 MiB) when told so at start-up, and only then: GLIBC_TUNABLES is
 * read before any JavaScript runs. So the CLI and the bench start their real process with
 * these (plain JavaScript, so the launcher decides before loading tsx):
 *
 * - `hugetlb=1`: madvise(MADV_HUGEPAGE) on the heap (the kernel's THP mode `madvise`, the
 *   default on Debian; with THP `never` it changes nothing);
 * - `mmap_threshold=32 MiB`: frame-sized blocks come from that heap, not from their own
 *   mmap (4 KiB pages, returned on free and faulted in again by the next frame);
 * - `trim_threshold=256 MiB`: up to that much freed heap is kept for the next job instead of
 *   being returned to the system (a long-running server reuses it without faults).
 */
/** @type {readonly string[]} */
export const MALLOC_TUNABLES = [
  'glibc.malloc.hugetlb=1',
  'glibc.malloc.mmap_threshold=33554432',
  'glibc.malloc.trim_threshold=268435456',
];

/** Set FACECAST_MALLOC=system to run with the C library's defaults (no relaunch). */
export const MALLOC_OPT_OUT = 'system';

/**
 * The environment a process should run in for {@link MALLOC_TUNABLES}, or undefined when the
 * current one will do: not Linux, opted out (FACECAST_MALLOC=system), or GLIBC_TUNABLES
 * already choosing the heap's huge pages (then the caller's settings stand as they are).
 * Settings already in GLIBC_TUNABLES come after ours, so they win where both name one.
 *
 * @param {NodeJS.ProcessEnv} env
 * @param {NodeJS.Platform} [platform]
 * @returns {NodeJS.ProcessEnv | undefined}
 */
export function allocatorEnvironment(env, platform = process.platform) {
  if (platform !== 'linux') return undefined;
  if (env.FACECAST_MALLOC === MALLOC_OPT_OUT) return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  if (current.includes('glibc.malloc.hugetlb')) return undefined;
  const tunables = [...MALLOC_TUNABLES, ...(current ? [current] : [])].join(':');
  return { ...env, GLIBC_TUNABLES: tunables };
}

/**
 * Names the file descriptor on which a relaunched process holds a pipe to its launcher; read
 * once and removed, so processes it starts in turn do not inherit it.
 */
const LAUNCHER_FD = 'FACECAST_LAUNCHER_FD';

/** Signals passed on to the relaunched process (SIGINT is not: see below). @type {readonly NodeJS.Signals[]} */
const FORWARDED = ['SIGTERM', 'SIGHUP'];

/**
 * Runs this same script (same Node, same flags, same arguments, stdio inherited) again under
 * {@link allocatorEnvironment} when that differs from the current one, waits for it and
 * takes its exit status; returns false at once when no relaunch is needed, or when the
 * process cannot be started (the caller then runs in this process, with default settings).
 * SIGTERM and SIGHUP are passed on; SIGINT is not, because a terminal's Ctrl-C already
 * reaches the whole process group (passing it on would interrupt the child twice), so this
 * process only ignores it and waits. A child ended by a signal ends this process by the same.
 * SIGKILL cannot be passed on, so the two share a pipe: in the relaunched process (where
 * this returns false) {@link endWithLauncher} ends it as soon as the launcher is gone, and
 * `kill -9` on the pid a user or supervisor knows still stops the work.
 *
 * @returns {Promise<boolean>}
 */
export async function relaunchWithAllocator() {
  if (endWithLauncher(process.env)) return false;
  const env = allocatorEnvironment(process.env);
  if (!env) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...env, [LAUNCHER_FD]: '3' },
  });
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => child.kill(signal);
  const ignore = () => undefined;
  /** @type {{ started: false } | { started: true, code: number | null, signal: NodeJS.Signals | null }} */
  const settle = await new Promise((resolve) => {
    child.once('error', () => resolve({ started: false }));
    child.once('spawn', () => {
      for (const signal of FORWARDED) process.on(signal, forward);
      process.on('SIGINT', ignore);
    });
    child.once('exit', (code, signal) => resolve({ started: true, code, signal }));
  });
  for (const signal of FORWARDED) process.off(signal, forward);
  process.off('SIGINT', ignore);
  if (!settle.started) return false;
  if (settle.signal) process.kill(process.pid, settle.signal);
  else process.exitCode = settle.code ?? 1;
  return true;
}

/**
 * In a relaunched process: watches the pipe to the launcher and ends this process with
 * SIGKILL when the pipe closes (the launcher died without passing a signal on, e.g. by
 * SIGKILL or the OOM killer). The watch keeps no event loop alive. Returns whether this is
 * a relaunched process; the variable naming the pipe is removed from `env` either way.
 *
 * @param {NodeJS.ProcessEnv} env
 * @returns {boolean}
 */
function endWithLauncher(env) {
  const fd = Number(env[LAUNCHER_FD]);
  delete env[LAUNCHER_FD];
  if (!Number.isInteger(fd) || fd < 3) return false;
  const end = () => process.kill(process.pid, 'SIGKILL');
  const pipe = new Socket({ fd, readable: true, writable: false });
  pipe.on('end', end).on('close', end).on('error', end).resume();
  pipe.unref();
  return true;
}

/**
 * The kernel's transparent-huge-page mode (`always`, `madvise`, `never`; `never` where the
 * kernel has none): with `never`, {@link MALLOC_TUNABLES}' huge pages change nothing.
 *
 * @returns {string}
 */
export function hugePagesMode() {
  try {
    const text = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    return /\[(\w+)\]/.exec(text)?.[1] ?? 'never';
  } catch {
    return 'never';
  }
}
