// Probe for allocator.test.ts: relaunches itself like bin/facecast, then reports what the
// running process got: its GLIBC_TUNABLES, its pid and parent, and the minor page faults of filling
// 16 MiB of fresh memory. `wait` keeps it running until SIGTERM (it then exits with 43).
import { relaunchWithAllocator } from '../../src/core/allocator.mjs';

if (!(await relaunchWithAllocator())) {
  const before = process.resourceUsage().minorPageFault;
  const block = new Uint8Array(16 * 1024 * 1024);
  block.fill(1);
  const faults = process.resourceUsage().minorPageFault - before;
  const report = {
    tunables: process.env.GLIBC_TUNABLES ?? null,
    pid: process.pid,
    ppid: process.ppid,
    launcherFd: process.env.FACECAST_LAUNCHER_FD ?? null,
    faults,
  };
  if (process.argv[2] === 'wait') {
    // before the report: the test signals as soon as it reads it
    process.on('SIGTERM', () => process.exit(43));
    setInterval(() => undefined, 1000);
  } else {
    process.exitCode = Number(process.argv[2] ?? 0);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
