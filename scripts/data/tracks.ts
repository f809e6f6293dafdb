/**
 * Tracked Controls for the motion data's real clips, cached per clip in a folder outside git:
 * `<dir>/<stem>.csv` (Controls at 25 fps, the `facecast track` CSV) and `<dir>/<stem>.npy` (the
 * raw landmarks, for refitting when the fitter changes). Tracking is the faces stage's own
 * `trackVideo`, run in this process with one shared landmarker and without the body keypoint
 * model (the motion labels are the face's).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { writeControlsFile } from '../../src/controls/index.ts';
import { FaceLandmarker, LANDMARK_COUNT, loadFaceModel, trackVideo } from '../../src/face/index.ts';
import { writeNpy } from '../../src/features/index.ts';
import { sourceStem } from './heldout.ts';

/** The cached CSV of each clip, tracking the ones not cached yet. Undefined where tracking failed. */
export async function ensureTracks(
  files: string[],
  dir: string,
): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  let landmarker: FaceLandmarker | undefined;
  const model = await loadFaceModel();
  try {
    for (const file of files) {
      const csv = join(dir, `${sourceStem(file)}.csv`);
      if (await exists(csv)) {
        out.set(file, csv);
        continue;
      }
      landmarker ??= await FaceLandmarker.load({ video: true });
      out.set(file, (await trackOnce(file, csv, landmarker, model)) ? csv : undefined);
    }
  } finally {
    await landmarker?.close();
  }
  return out;
}

async function trackOnce(
  file: string,
  csv: string,
  landmarker: FaceLandmarker,
  model: Awaited<ReturnType<typeof loadFaceModel>>,
): Promise<boolean> {
  const started = performance.now();
  try {
    const result = await trackVideo(file, { landmarker, model, bodyEvery: 0, keepLandmarks: true });
    if (result.landmarks) {
      await writeNpy(csv.replace(/\.csv$/, '.npy'), {
        data: result.landmarks,
        shape: [result.frames.length, LANDMARK_COUNT, 3],
      });
    }
    await writeControlsFile(csv, result.sequence);
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `${sourceStem(file)}: tracked ${result.frames.length} frames in ${seconds.toFixed(0)} s`,
    );
    return true;
  } catch (error) {
    console.error(`${sourceStem(file)}: tracking failed (${(error as Error).message})`);
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
