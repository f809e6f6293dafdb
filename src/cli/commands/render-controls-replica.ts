import { BLENDSHAPE_COUNT, blendshapeVector, type ControlsSequence } from '../../controls/index.ts';
import { throwIfAborted } from '../../core/index.ts';
import { Mp4Writer, X264_FOOTAGE_PARAMS } from '../../media/index.ts';
import { REPLICA_FPS, ReplicaPlayer } from '../../replica/index.ts';
import { type CommandContext, UsageError, writeJson } from '../command.ts';

/**
 * `render-controls` onto a video avatar: the footage plays along its plan and each Controls
 * frame's jaw and mouth re-animate it (the footage keeps its own eyes, brows and head).
 */
export async function renderControlsOnReplica(
  context: CommandContext,
  flags: { avatar: string; out: string; audio?: string | undefined; maps?: string | undefined },
  sequence: ControlsSequence,
  json: boolean,
): Promise<void> {
  if (flags.maps !== undefined) throw new UsageError('--maps applies to photo avatars only');
  if (sequence.fps !== REPLICA_FPS) {
    throw new UsageError(
      `a video avatar plays at ${REPLICA_FPS} fps; the Controls are at ${sequence.fps}`,
    );
  }
  const { signal } = context;
  const player = await ReplicaPlayer.open(flags.avatar);
  const started = performance.now();
  let writer: Mp4Writer | undefined;
  try {
    writer = await Mp4Writer.open(flags.out, {
      width: player.width,
      height: player.height,
      fps: REPLICA_FPS,
      // Footage: the same encode as `render` on a video avatar (src/pipeline render-video.ts).
      threads: 1,
      x264Params: X264_FOOTAGE_PARAMS,
      ...(flags.audio ? { audioPath: flags.audio } : {}),
      expectedFrames: Math.max(1, sequence.frames.length),
      signal,
    });
    const weights = new Float32Array(BLENDSHAPE_COUNT);
    for (const frame of sequence.frames) {
      throwIfAborted(signal);
      await writer.writeFrame(await player.render(blendshapeVector(frame, weights)), { signal });
    }
    const summary = await writer.finish({ signal });
    const report = {
      out: summary.path,
      frames: summary.frames,
      durationMs: summary.durationMs,
      width: player.width,
      height: player.height,
      fps: REPLICA_FPS,
      audio: summary.hasAudio,
      renderer: 'replica',
      realTimeFactor: summary.durationMs / (performance.now() - started),
    };
    if (json) writeJson(context, report);
    else {
      context.stdout.write(
        `wrote ${summary.path}: ${summary.frames} frames ${player.width}×${player.height} at ${REPLICA_FPS} fps from the video avatar (${report.realTimeFactor.toFixed(1)}× real time)\n`,
      );
    }
  } catch (error) {
    await writer?.close();
    throw error;
  } finally {
    await player.close();
  }
}
