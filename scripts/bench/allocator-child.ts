/**
 * One process of the allocator bench (scripts/bench/allocator.ts): loads a Dubber, dubs once
 * untimed, then `DUBS` times, and prints one JSON line per timed dub: wall, this process's
 * CPU (every thread), its ffmpeg children's CPU, minor page faults, and the output's SHA-256.
 * Started by the bench with the environment under test; it does not relaunch itself.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dubber } from '../../src/dub/index.ts';
import { childCpuMs } from './harness.ts';

const [video, audio, dir, dubs] = process.argv.slice(2);
if (!video || !audio || !dir)
  throw new Error('usage: allocator-child.ts <video> <audio> <dir> [dubs]');
const dubber = await Dubber.load();
try {
  await dubber.dub({
    videoPath: video,
    audioPath: audio,
    outPath: join(dir, `warm-${process.pid}.mp4`),
  });
  for (let i = 0; i < Number(dubs ?? 2); i++) {
    const outPath = join(dir, `out-${process.pid}-${i}.mp4`);
    const cpu0 = process.cpuUsage();
    const faults0 = process.resourceUsage().minorPageFault;
    const ffmpeg0 = childCpuMs();
    const t0 = performance.now();
    const result = await dubber.dub({ videoPath: video, audioPath: audio, outPath });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const line = {
      frames: result.frames,
      wallMs,
      nodeCpuMs: (cpu.user + cpu.system) / 1000,
      nodeSysMs: cpu.system / 1000,
      ffmpegCpuMs: childCpuMs() - ffmpeg0,
      minorFaults: process.resourceUsage().minorPageFault - faults0,
      sha256: createHash('sha256')
        .update(await readFile(outPath))
        .digest('hex'),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} finally {
  await dubber.close();
}
