/**
 * The ONNX landmarker against Human, same run, same frames: for each talking clip, both
 * landmark sources in video mode (Human as facecast ran it: its box reused, re-detected every
 * 5 frames; ours tracked from the previous mesh), each fed to its own FaceTracker. Reports
 * tracked jawOpen against the speech energy (Pearson r at lag 0 and the best lag in ±6
 * frames, as scripts/face/jaw-audio.ts), the landmarks' mean distance between the two, and
 * each source's CPU time per frame.
 *
 *   node --import tsx scripts/face/compare-human.ts [video …] [--json]
 *
 * Default: the held-out clips (test/fixtures/heldout/clips) and $FACECAST_FIXTURES/video.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  FaceLandmarker,
  FaceTracker,
  LANDMARK_COUNT,
  lipSyncCorrelation,
  loadFaceModel,
  speechEnvelopeDb,
} from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { humanFaces, loadHumanFaces } from './human-reference.ts';

const { values, positionals } = parseArgs({
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
});
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const listed = async (dir: string) =>
  (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => /\.(mp4|mpg)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
const files =
  positionals.length > 0
    ? positionals
    : [
        ...(await listed('test/fixtures/heldout/clips')),
        ...(await listed(join(fixtures, 'video'))),
      ];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const model = await loadFaceModel();
const human = await loadHumanFaces(true);
const rows: Record<string, string | number>[] = [];
for (const file of files) {
  const video = await openVideoFrames(file, { fps: 25, maxSize: 512 });
  const ours = await FaceLandmarker.load({ video: true, body: false });
  const size = { frameWidth: video.width, frameHeight: video.height };
  const trackers = { ours: new FaceTracker(model, size), human: new FaceTracker(model, size) };
  const jaw = { ours: [] as number[], human: [] as number[] };
  const ms = { ours: 0, human: 0 };
  let diffSum = 0;
  let diffCount = 0;
  for await (const frame of video) {
    const image = { width: frame.width, height: frame.height, data: frame.rgb };
    let t = cpuMs();
    const a = (await ours.detect(image)).faces[0]?.landmarks;
    ms.ours += cpuMs() - t;
    t = cpuMs();
    const h = (await humanFaces(human, image))[0]?.landmarks;
    ms.human += cpuMs() - t;
    const b = h ? Float32Array.from(h, (v, i) => (i % 3 === 2 ? v : v + 0.5)) : undefined;
    if (a && b) {
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        diffSum += Math.hypot(
          (a[i * 3] as number) - (b[i * 3] as number),
          (a[i * 3 + 1] as number) - (b[i * 3 + 1] as number),
        );
        diffCount++;
      }
    }
    for (const [key, landmarks] of [
      ['ours', a],
      ['human', b],
    ] as const) {
      for (const f of trackers[key].process({ frameIndex: frame.frameIndex, landmarks }))
        jaw[key].push(f.controls.faceFound ? f.controls.blendshapes.jawOpen : Number.NaN);
    }
  }
  await ours.close();
  for (const key of ['ours', 'human'] as const)
    for (const f of trackers[key].flush())
      jaw[key].push(f.controls.faceFound ? f.controls.blendshapes.jawOpen : Number.NaN);
  const n = jaw.ours.length;
  const energy = speechEnvelopeDb((await decodeAudioFile(file)).samples, n);
  const r = {
    ours: lipSyncCorrelation(Float64Array.from(jaw.ours), energy),
    human: lipSyncCorrelation(Float64Array.from(jaw.human), energy),
  };
  rows.push({
    clip: basename(file),
    frames: n,
    'jawOpen r0 (ONNX)': r.ours.r0,
    'jawOpen r0 (Human)': r.human.r0,
    'best r (ONNX)': r.ours.best,
    'best r (Human)': r.human.best,
    'landmarks apart, px': diffSum / Math.max(1, diffCount),
    'CPU ms/frame (ONNX)': ms.ours / n,
    'CPU ms/frame (Human)': ms.human / n,
  });
  console.error(
    `${basename(file)}: r0 ONNX ${r.ours.r0.toFixed(3)} vs Human ${r.human.r0.toFixed(3)}`,
  );
}
if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  const fmt = (v: string | number) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v;
  const keys = Object.keys(rows[0] ?? {});
  console.log(`| ${keys.join(' | ')} |\n| ${keys.map(() => '---').join(' | ')} |`);
  for (const row of rows)
    console.log(`| ${keys.map((k) => fmt(row[k] as string | number)).join(' | ')} |`);
  const mean = (k: string) => rows.reduce((s, row) => s + (row[k] as number), 0) / rows.length;
  console.log(
    `\nmean jawOpen r0: ONNX ${mean('jawOpen r0 (ONNX)').toFixed(3)}, Human ${mean('jawOpen r0 (Human)').toFixed(3)}; CPU ms/frame: ONNX ${mean('CPU ms/frame (ONNX)').toFixed(1)}, Human ${mean('CPU ms/frame (Human)').toFixed(1)}`,
  );
}
