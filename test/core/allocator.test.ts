import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allocatorEnvironment, hugePagesMode, MALLOC_TUNABLES } from '../../src/core/allocator.mjs';

const PROBE = new URL('./allocator-probe.mjs', import.meta.url).pathname;
const OURS = MALLOC_TUNABLES.join(':');

interface ProbeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  report:
    | {
        tunables: string | null;
        pid: number;
        ppid: number;
        launcherFd: string | null;
        faults: number;
      }
    | undefined;
  pid: number | undefined;
}

/** Runs the probe like a user runs bin/facecast; `onReport` sees the first line. */
function runProbe(
  args: string[],
  env: NodeJS.ProcessEnv,
  onReport?: (pid: number, report: NonNullable<ProbeRun['report']>) => void,
): Promise<ProbeRun> {
  const child = spawn(process.execPath, [PROBE, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let report: ProbeRun['report'];
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    if (!report && out.includes('\n')) {
      report = JSON.parse(out.split('\n')[0] as string);
      onReport?.(child.pid as number, report as NonNullable<ProbeRun['report']>);
    }
  });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, report, pid: child.pid })),
  );
}

/** Whether a process is gone (or a zombie nobody has reaped yet). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (gone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return gone(pid);
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('GLIBC_TUNABLES' in extra)) delete env.GLIBC_TUNABLES;
  if (!('FACECAST_MALLOC' in extra)) delete env.FACECAST_MALLOC;
  return env;
}

describe('allocatorEnvironment', () => {
  it('adds the tunables on Linux, before any the caller set (theirs win)', () => {
    expect(allocatorEnvironment({ PATH: '/bin' }, 'linux')).toEqual({
      PATH: '/bin',
      GLIBC_TUNABLES: OURS,
    });
    expect(allocatorEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux')).toEqual({
      GLIBC_TUNABLES: `${OURS}:glibc.malloc.arena_max=2`,
    });
  });

  it('leaves the environment alone elsewhere, when opted out, or when already set', () => {
    expect(allocatorEnvironment({}, 'darwin')).toBeUndefined();
    expect(allocatorEnvironment({ FACECAST_MALLOC: 'system' }, 'linux')).toBeUndefined();
    expect(allocatorEnvironment({ GLIBC_TUNABLES: OURS }, 'linux')).toBeUndefined();
    expect(
      allocatorEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux'),
    ).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('relaunchWithAllocator', () => {
  it('runs the script again with the tunables and passes its exit code on', async () => {
    const run = await runProbe(['7'], cleanEnv());
    expect(run.report?.tunables).toBe(OURS);
    expect(run.report?.ppid).toBe(run.pid); // the process that reported is the relaunched one
    expect(run.code).toBe(7);
  });

  it('does not relaunch when opted out', async () => {
    const run = await runProbe([], cleanEnv({ FACECAST_MALLOC: 'system' }));
    expect(run.report?.tunables).toBeNull();
    expect(run.report?.ppid).not.toBe(run.pid);
    expect(run.code).toBe(0);
  });

  it('passes SIGTERM on to the relaunched process', async () => {
    const run = await runProbe(['wait'], cleanEnv(), (pid) => process.kill(pid, 'SIGTERM'));
    expect(run.report?.tunables).toBe(OURS);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 43, signal: null });
  });

  it('ends the relaunched process when the launcher is killed with SIGKILL', async () => {
    let worker = 0;
    const run = await runProbe(['wait'], cleanEnv(), (pid, report) => {
      worker = report.pid;
      process.kill(pid, 'SIGKILL');
    });
    expect(run.signal).toBe('SIGKILL');
    expect(worker).not.toBe(run.pid);
    const ended = await waitUntilGone(worker, 5000);
    if (!ended) process.kill(worker, 'SIGKILL');
    expect(ended).toBe(true);
    expect(run.report?.launcherFd).toBeNull(); // not passed on to what it starts
  });

  it.runIf(hugePagesMode() !== 'never')(
    'backs fresh frame-sized memory with huge pages (far fewer page faults)',
    async () => {
      const tuned = await runProbe([], cleanEnv());
      const plain = await runProbe([], cleanEnv({ FACECAST_MALLOC: 'system' }));
      // 16 MiB is 4096 pages of 4 KiB; with 2 MiB pages it is a few dozen faults
      expect(plain.report?.faults).toBeGreaterThan(3000);
      expect(tuned.report?.faults).toBeLessThan(1000);
    },
  );
});
