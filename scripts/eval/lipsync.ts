/**
 * Lip sync of the product's output, measured on the MP4 with the faces tracker: renders each
 * fixture photo/speech pair with `VideoPipeline` (512², warp-only), then `measureLipSync`.
 *
 *   node --import tsx scripts/eval/lipsync.ts [--size 512] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { measureLipSync, VideoPipeline } from '../../src/pipeline/index.ts';

export const LIPSYNC_PAIRS = [
  { photo: 'face/portrait_s42.jpg', speech: 'speech/jfk.wav' },
  { photo: 'face/portrait_happy_256.png', speech: 'speech/lj001_22k.wav' },
  { photo: 'photos/sadtalker_art_2_512.jpg', speech: 'speech/echomimic_en.wav' },
] as const;

const { values } = parseArgs({ options: { size: { type: 'string' }, json: { type: 'boolean' } } });
const size = Number(values.size ?? 512);
const dir = await mkdtemp(join(tmpdir(), 'facecast-lipsync-'));
const fixtures = new URL('../../test/fixtures/', import.meta.url).pathname;
const pipeline = await VideoPipeline.load();
const model = await loadFaceModel();
const landmarker = await FaceLandmarker.load({ video: true });
const rows = [];
try {
  for (const [i, pair] of LIPSYNC_PAIRS.entries()) {
    const avatarDir = join(dir, `avatar-${i}`);
    await createAvatar(join(fixtures, pair.photo), avatarDir, { model });
    const out = join(dir, `${i}.mp4`);
    await pipeline.render({
      avatarDir,
      audioPath: join(fixtures, pair.speech),
      outPath: out,
      sizePx: size,
      seed: 1,
    });
    const report = await measureLipSync(out, { landmarker, model });
    rows.push({ ...pair, ...report });
    console.error(
      `${pair.photo} + ${pair.speech}: r ${report.r.toFixed(3)} (best ${report.bestR.toFixed(3)} at ${report.bestLagFrames} frames); jawOpen r ${report.jawOpen.r.toFixed(3)}; onset offset ${report.onsetOffsetMs} ms`,
    );
  }
} finally {
  await landmarker.close();
  await pipeline.close();
  await rm(dir, { recursive: true, force: true });
}
if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(
    '| photo | speech | frames | r (mouth opening vs energy, lag 0) | best r (lag, frames) | jawOpen r | speech onset | mouth onset | onset offset |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.photo} | ${r.speech} | ${r.frames} | ${r.r.toFixed(3)} | ${r.bestR.toFixed(3)} (${r.bestLagFrames}) | ${r.jawOpen.r.toFixed(3)} | ${r.speechOnsetMs} ms | ${r.mouthOnsetMs} ms | ${r.onsetOffsetMs} ms |`,
    );
  }
}
