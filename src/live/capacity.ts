import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MediaOutput } from './output.ts';
import type { StageFactory } from './ports.ts';

/** A host's measured capacity for live sessions (admission control, `/metrics`). */
export interface SessionCapacity {
  /** Sessions this host admits at once (at least 1). */
  sessions: number;
  /** CPU one session spends per video frame: motion + render + VP8 encode, ms. */
  cpuMsPerFrame: number;
  /** Cores the estimate counts. */
  cores: number;
  /** Share of the cores sessions may fill; the rest is left for audio, RTP, the SFU and jitter. */
  utilisation: number;
  /** Frames the probe measured. */
  frames: number;
}

/** Options of {@link probeSessionCapacity}. */
export interface CapacityProbeOptions {
  /** Output size of the probe session, px. Default 512 (the sessions' default). */
  size?: number;
  /** Frames measured (after {@link CapacityProbeOptions.warmupFrames}). Default 50 (2 s of video). */
  frames?: number;
  /** Frames rendered first and not counted (model and JIT warm-up). Default 5. */
  warmupFrames?: number;
  /** Cores to count. Default `availableParallelism()`. */
  cores?: number;
  /** Share of the cores sessions may fill. Default 0.7. */
  utilisation?: number;
  /** Frame rate the sessions must hold. Default 25. */
  fps?: number;
  signal?: AbortSignal;
}

const SAMPLES_PER_FRAME = 640;

/**
 * Measures what one live session costs on this host and how many fit: renders frames of
 * `avatarId` through the real stages and VP8 encoder, one at a time, and counts the CPU
 * they took (this process, its render threads included, plus the ffmpeg encoder child).
 * CPU time, not wall time, so other load on the machine barely moves the figure; the
 * estimate is `floor(cores × frame interval × utilisation / cpuMsPerFrame)`.
 *
 * @example
 * const capacity = await probeSessionCapacity(stages, 'av_…');
 * new SessionManager({ stages, capacity });
 */
export async function probeSessionCapacity(
  stages: StageFactory,
  avatarId: string,
  options: CapacityProbeOptions = {},
): Promise<SessionCapacity> {
  const frames = options.frames ?? 50;
  const warmupFrames = options.warmupFrames ?? 5;
  const cores = options.cores ?? availableParallelism();
  const utilisation = options.utilisation ?? 0.7;
  const fps = options.fps ?? 25;
  const context = options.signal ? { signal: options.signal } : {};
  const opened = await stages.open(avatarId, { size: options.size ?? 512, seed: 1 }, context);
  let output: MediaOutput | undefined;
  try {
    output = await MediaOutput.start(
      { width: opened.renderer.width, height: opened.renderer.height, fps },
      context,
    );
    const step = frameStepper(opened, output);
    for (let i = 0; i < warmupFrames; ) i += await step();
    const before = cpuMs(output.encoderPid);
    let measured = 0;
    while (measured < frames) {
      options.signal?.throwIfAborted();
      measured += await step();
    }
    const cpuMsPerFrame = (cpuMs(output.encoderPid) - before) / measured;
    const budgetMs = cores * (1000 / fps) * utilisation;
    const sessions = Math.max(1, Math.floor(budgetMs / cpuMsPerFrame));
    return { sessions, cpuMsPerFrame, cores, utilisation, frames: measured };
  } finally {
    await output?.close();
    await Promise.all([opened.motion.close(), opened.renderer.close()]);
  }
}

/** One 40 ms step of silence through motion → render → encode; resolves with frames encoded. */
function frameStepper(
  opened: Awaited<ReturnType<StageFactory['open']>>,
  output: MediaOutput,
): () => Promise<number> {
  const silence = new Float32Array(SAMPLES_PER_FRAME);
  let frameIndex = 0;
  return async () => {
    const controls = await opened.motion.process(silence);
    for (const frame of controls) {
      const rgb = await opened.renderer.render(frame);
      const sent = once(output, 'frameSent');
      if (!output.sendFrame(rgb, frameIndex++)) throw new Error('the probe encoder is busy');
      await sent;
    }
    return controls.length;
  };
}

/** CPU used so far by this process (all threads) and the encoder child, ms. */
function cpuMs(encoderPid: number | undefined): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000 + childCpuMs(encoderPid);
}

/** A child's user + system CPU from /proc (Linux; 0 elsewhere), ms. */
function childCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is the first; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * CLOCK_TICK_MS : 0;
  } catch {
    return 0;
  }
}

/** Linux reports process CPU in USER_HZ ticks, 100 per second on every mainstream build. */
const CLOCK_TICK_MS = 10;
