import { FaceLandmarker, loadFaceModel } from '../../face/index.ts';
import { createReplica, REPLICA_LIMITS } from '../../replica/index.ts';
import { type CommandContext, UsageError, writeJson } from '../command.ts';
import { ProgressBar } from '../progress.ts';

/** Flags of `avatar create` that only apply to photos. */
const PHOTO_ONLY = ['strict', 'min-iod', 'max-yaw', 'max-pitch'] as const;

/**
 * `facecast avatar create <video> --out <dir>`: a video avatar (src/replica). Tracks every
 * frame once and stores the footage, the track, the mouth bank and `replica.json`.
 */
export async function createVideoAvatar(
  context: CommandContext,
  video: string,
  flags: { out: string; maxSize: number; json: boolean },
  given: Record<string, unknown>,
): Promise<void> {
  for (const name of PHOTO_ONLY) {
    if (given[name] !== undefined) throw new UsageError(`--${name} applies to photos only`);
  }
  const bar = new ProgressBar(context.stderr, context.interactive && !flags.json);
  const { signal } = context;
  const model = await loadFaceModel();
  const landmarker = await FaceLandmarker.load({ video: true, body: false, signal });
  try {
    const summary = await createReplica(
      video,
      flags.out,
      { model, landmarker },
      {
        maxSizePx: flags.maxSize,
        signal,
        onProgress: (done, expected) =>
          bar.update(Math.min(1, done / Math.max(1, expected ?? done)), 'track', `${done} frames`),
      },
    );
    bar.done();
    const m = summary.manifest;
    const report = {
      out: flags.out,
      kind: 'video',
      footage: {
        width: m.footage.width,
        height: m.footage.height,
        frames: m.footage.frames,
        fps: 25,
        durationMs: m.source.durationMs,
        sourceFps: m.source.fps,
      },
      usableFrames: m.usable.reduce<number>((n, u) => n + u, 0),
      storedFrames: m.footage.storedFrames,
      cuts: m.cuts.length,
      runs: summary.runs,
      statusCounts: m.statusCounts,
      mouthBankEntries: summary.mouthBankEntries,
      timingsMs: Object.fromEntries(
        Object.entries(summary.timingsMs).map(([k, v]) => [k, Math.round(v)]),
      ),
    };
    if (flags.json) {
      writeJson(context, report);
      return;
    }
    context.stdout.write(
      [
        `wrote          ${flags.out}/replica.json + footage, track, mouth bank (video avatar)`,
        `footage        ${report.footage.width}×${report.footage.height}, ${(report.footage.durationMs / 1000).toFixed(1)} s at ${report.footage.sourceFps} fps → ${report.footage.frames} frames at 25 fps`,
        `usable         ${report.usableFrames} of ${report.storedFrames} frames, ${report.cuts} cuts, ${report.runs} stretches`,
        `mouth bank     ${report.mouthBankEntries} real interiors`,
        `time           ${report.timingsMs.total} ms`,
      ].join('\n') + '\n',
    );
  } finally {
    bar.done();
    await landmarker.close();
  }
}

/** For the usage text. */
export const VIDEO_LIMITS_TEXT = `${REPLICA_LIMITS.minDurationMs / 1000} s to ${REPLICA_LIMITS.maxDurationMs / 60_000} min`;
