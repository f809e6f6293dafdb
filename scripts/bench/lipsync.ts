import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Dubber, lipSyncScore, mouthOpening } from '../../src/dub/index.ts';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { type LipSyncReport, measureLipSync, VideoPipeline } from '../../src/pipeline/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

const HELDOUT = new URL('../../test/fixtures/heldout/', import.meta.url).pathname;
/** Render size of the held-out pairs (the clips are 256² too; tracking reads ≤ 512). */
const SIZE = 256;

const heldoutSchema = z.object({
  clips: z.array(z.object({ file: z.string(), kind: z.string() })),
  pairs: z.object({ list: z.array(z.tuple([z.string(), z.string()])) }),
  dubs: z.array(z.object({ video: z.string(), audio: z.string() })),
});

const f2 = (v: number) => v.toFixed(2);
const f3 = (v: number) => v.toFixed(3);
const name = (path: string) => path.split('/').pop() ?? path;

/** Real speakers: each held-out clip tracked with its own sound. */
async function realSpeakers(clips: { file: string }[], landmarker: FaceLandmarker) {
  const model = await loadFaceModel();
  const rows: (string | number)[][] = [];
  const sds: number[] = [];
  const means: number[] = [];
  for (const clip of clips) {
    const r = await measureLipSync(join(HELDOUT, clip.file), { landmarker, model });
    console.info(`real ${clip.file}: ${JSON.stringify(r)}`);
    sds.push(r.speechLipGap.sd);
    means.push(r.speechLipGap.mean);
    rows.push(reportRow(name(clip.file), r));
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  return { rows, sd: mean(sds), mean: mean(means) };
}

function reportRow(label: string, r: LipSyncReport, realSd?: number): (string | number)[] {
  const row = [
    label,
    f3(r.lipGap.r),
    `${f3(r.lipGap.bestR)} at ${r.lipGap.bestLagFrames}`,
    f3(r.jawOpen.r),
    f3(r.speechLipGap.mean),
    f3(r.speechLipGap.sd),
  ];
  return realSd === undefined ? row : [...row, `${f2(r.speechLipGap.sd / realSd)}×`];
}

/** Each held-out photo × voice pair rendered by the pipeline, measured on its MP4. */
async function pairs(list: [string, string][], landmarker: FaceLandmarker, realSd: number) {
  const dir = await mkdtemp(join(tmpdir(), 'facecast-lipsync-'));
  const pipeline = await VideoPipeline.load();
  const model = await loadFaceModel();
  const rows: (string | number)[][] = [];
  const reports: LipSyncReport[] = [];
  try {
    for (const [i, [photo, voice]] of list.entries()) {
      const avatarDir = join(dir, `avatar-${i}`);
      await createAvatar(join(HELDOUT, photo), avatarDir, { model });
      const out = join(dir, `${i}.mp4`);
      const audioPath = join(HELDOUT, voice);
      await pipeline.render({ avatarDir, audioPath, outPath: out, sizePx: SIZE, seed: 1 });
      const r = await measureLipSync(out, { landmarker, model });
      console.info(`pair ${photo} + ${voice}: ${JSON.stringify(r)}`);
      reports.push(r);
      rows.push(reportRow(`${name(photo)} + ${name(voice)}`, r, realSd));
    }
  } finally {
    await pipeline.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, reports, motion: pipeline.motion.manifest.version };
}

/** Each held-out clip dubbed with another person's speech: mouth vs new and original audio. */
async function dubs(list: { video: string; audio: string }[], landmarker: FaceLandmarker) {
  const dir = await mkdtemp(join(tmpdir(), 'facecast-lipsync-dub-'));
  const dubber = await Dubber.load();
  const rows: (string | number)[][] = [];
  try {
    for (const [i, dub] of list.entries()) {
      const video = join(HELDOUT, dub.video);
      const audio = join(HELDOUT, dub.audio);
      const out = join(dir, `dub-${i}.mp4`);
      await dubber.dub({ videoPath: video, audioPath: audio, outPath: out });
      const source = await mouthOpening(video, landmarker);
      const dubbed = await mouthOpening(out, landmarker);
      const scores = [
        await lipSyncScore(source, video),
        await lipSyncScore(dubbed, audio),
        await lipSyncScore(dubbed, video),
      ];
      console.info(`dub ${dub.video} + ${dub.audio}: ${JSON.stringify(scores)}`);
      rows.push([`${name(dub.video)} + ${name(dub.audio)}`, ...scores.map((s) => f3(s.r))]);
    }
  } finally {
    await dubber.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * Lip sync on held-out material only (test/fixtures/heldout): every photo × voice pair of
 * heldout.json rendered by VideoPipeline and measured on the MP4 with the faces tracker; real
 * speakers' held-out clips measured the same way; the held-out dubs.
 */
export const lipsyncBench: Bench = {
  id: 'lipsync',
  async run() {
    const heldout = heldoutSchema.parse(
      JSON.parse(await readFile(join(HELDOUT, 'heldout.json'), 'utf8')),
    );
    const load = loadavg()[0]?.toFixed(1);
    const landmarker = await FaceLandmarker.load({ video: true });
    try {
      const real = await realSpeakers(heldout.clips, landmarker);
      const ours = await pairs(heldout.pairs.list, landmarker, real.sd);
      const dubRows = await dubs(heldout.dubs, landmarker);
      const r0 = ours.reports.map((r) => r.lipGap.r);
      const meanR = r0.reduce((a, b) => a + b, 0) / r0.length;
      const columns = [
        'lip-gap r (lag 0)',
        'best r at lag',
        'tracked jawOpen r',
        'gap mean over speech',
        'gap SD over speech',
      ];
      return {
        id: 'lipsync',
        title: 'Lip sync on held-out photos, voices and clips',
        body: [
          `Machine: ${machineLine()}, load average ${load} at the start (shared machine). Held-out material only (test/fixtures/heldout/heldout.json, never used for training or tuning). Pairs rendered by \`VideoPipeline\` at ${SIZE}² (warp-only, seed 1, models/motion ${ours.motion}), then measured on the MP4 with the faces tracker: the raw lip gap (\`measureMouth\`: inner-lip gap over the eye-corner distance) and the tracked jawOpen against the MP4's own sound (200–4000 Hz energy, dB per 40 ms, both smoothed over 3 frames), r at lag 0 and the best r over ±6 frames with its lag (positive: mouth leads); lip-gap mean and SD over the frames with speech (energy 10 dB over its floor). Command: \`npm run bench -- lipsync\`.`,
          '',
          '**Real speakers** (held-out clips with their own sound, same measure):',
          '',
          table(['clip', ...columns], real.rows),
          '',
          `Real speakers' mean lip-gap SD over speech: ${f3(real.sd)} (mean gap ${f3(real.mean)}).`,
          '',
          "**Ours** (photo × another person's voice):",
          '',
          table(['pair', ...columns, 'SD vs real'], ours.rows),
          '',
          `Mean lip-gap r at lag 0 over the ${r0.length} pairs: ${f3(meanR)}; lowest ${f3(Math.min(...r0))}; pairs below 0.3: ${r0.filter((r) => r < 0.3).length}.`,
          '',
          "**Dubs** (held-out clip + another person's speech; detector lip gap, lag 0):",
          '',
          table(
            [
              'dub',
              'source with its own audio',
              'dubbed with the new audio',
              'dubbed with the original audio',
            ],
            dubRows,
          ),
        ].join('\n'),
      };
    } finally {
      await landmarker.close();
    }
  },
};
