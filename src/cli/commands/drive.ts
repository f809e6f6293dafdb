import { driveBody } from '../../body/index.ts';
import type { ControlsSequence } from '../../controls/index.ts';
import { type DetectedBody, trackVideo } from '../../face/index.ts';
import { checkLocalInput } from '../../media/index.ts';
import type { RenderReference } from '../../render/index.ts';
import { UsageError } from '../command.ts';

/** Frames are decoded at most this size for tracking and body keypoints (as `facecast track`). */
const DRIVE_MAX_SIZE = 512;

/**
 * `render-controls --drive <video>`: the Controls of a driving video for a photo avatar — the
 * face as `facecast track` tracks it, the upper body retargeted onto the photo's own body by
 * driveBody (src/body/drive.ts) from MoveNet's keypoints on every frame. Throws UsageError
 * (exit 2) when the photo shows no shoulders or the video none in any frame.
 */
export async function drivenControls(
  video: string,
  reference: Pick<RenderReference, 'shoulders' | 'arms'>,
  options: { signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<ControlsSequence> {
  const { signal } = options;
  if (!reference.shoulders)
    throw new UsageError(
      '--drive needs a photo avatar whose shoulders were detected (a half- or full-body photo)',
    );
  await checkLocalInput(video, { maxBytes: 4 * 1024 ** 3 });
  // One decode: the face is tracked and MoveNet runs on every frame of the same pass.
  const keypoints: (DetectedBody['keypoints'] | undefined)[] = [];
  const { sequence } = await trackVideo(video, {
    bodyEvery: 1,
    chest: false,
    maxSize: DRIVE_MAX_SIZE,
    signal,
    onBody: (frameIndex, body) => {
      keypoints[frameIndex] = body?.keypoints;
    },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const driven = (() => {
    try {
      return driveBody(keypoints.slice(0, sequence.frames.length), {
        shoulders: reference.shoulders,
        arms: reference.arms,
      });
    } catch (error) {
      throw new UsageError(`${video}: ${(error as Error).message}`);
    }
  })();
  sequence.frames.forEach((frame, i) => {
    const body = driven[i]?.body;
    if (body) frame.body = body;
  });
  return sequence;
}
