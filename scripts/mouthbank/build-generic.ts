/**
 * Builds the generic mouth bank that photo avatars paint their mouth interiors from:
 * real teeth, tongues and inner lips of many people, indexed by lip shape (src/mouthbank).
 *
 * Source: talking clips in ../shared/fixtures whose terms are `open?` (permissive repository
 * licence; see terms.tsv), never a held-out source (test/fixtures/heldout/heldout.json).
 * Each clip is decoded at 25 fps, tracked in video mode (the face mesh, as a video avatar's
 * bank is), and its open-mouthed frames spread over their openings join the bank.
 *
 *   node --import tsx scripts/mouthbank/build-generic.ts [--fixtures ../shared/fixtures]
 *        [--out models/mouthbank] [--per-clip 10]
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FACE_VERTEX_COUNT, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import {
  chooseBankFrames,
  type InnerLips,
  MouthBank,
  type MouthSample,
} from '../../src/mouthbank/index.ts';
import { trackedInnerLips } from '../../src/replica/index.ts';

const FOLDERS = ['train-talk', 'train-faces', 'train-video', 'video'];
/** Longest side decoded; the fixtures are 256–512 px. */
const MAX_SIZE = 512;
/** Clips shorter than this have too few open mouths to spread over. */
const MIN_SECONDS = 4;

interface Clip {
  file: string;
  terms: string;
  repo: string;
}

const { values } = parseArgs({
  options: {
    fixtures: { type: 'string', default: '../shared/fixtures' },
    out: { type: 'string', default: 'models/mouthbank' },
    'per-clip': { type: 'string', default: '10' },
  },
});
const fixtures = resolve(values.fixtures);
const perClip = Number(values['per-clip']);

const heldout = new Set<string>(
  JSON.parse(await readFile('test/fixtures/heldout/heldout.json', 'utf8')).sources,
);
const clips = (await readFile(join(fixtures, 'terms.tsv'), 'utf8'))
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'))
  .filter(([file, terms]) => file?.endsWith('.mp4') && terms === 'open?')
  .filter(([file]) => FOLDERS.includes((file as string).split('/')[0] as string))
  .filter(([file]) => !heldout.has(basename(file as string, '.mp4')))
  .map(([file, terms, repo]) => ({ file, terms, repo }) as Clip);

const model = await loadFaceModel();
const used: { file: string; terms: string; repo: string; frames: number; entries: number }[] = [];
const samples: MouthSample[] = [];
for (const clip of clips) {
  const path = join(fixtures, clip.file);
  const lips = await trackLips(path);
  if (lips.length < MIN_SECONDS * 25) continue;
  const chosen = new Set(chooseBankFrames(lips, { maxEntries: perClip }));
  if (chosen.size === 0) continue;
  for await (const f of await openVideoFrames(path, { fps: 25, maxSize: MAX_SIZE })) {
    if (!chosen.has(f.frameIndex)) continue;
    samples.push({
      image: { width: f.width, height: f.height, data: Uint8Array.from(f.rgb) },
      lips: lips[f.frameIndex] as InnerLips,
      frame: samples.length,
    });
  }
  used.push({ ...clip, frames: lips.length, entries: chosen.size });
  console.log(`${clip.file}: ${lips.length} frames, ${chosen.size} mouths`);
}
const bank = await MouthBank.build(samples);
await mkdir(values.out, { recursive: true });
await bank.save(values.out);
await writeManifest(values.out, used, bank.size);
console.log(`${bank.size} mouths from ${used.length} clips → ${values.out}`);

/** Inner lips of every frame (undefined where no single face was found). */
async function trackLips(path: string): Promise<(InnerLips | undefined)[]> {
  const landmarker = await FaceLandmarker.load({ video: true, body: false });
  const lips: (InnerLips | undefined)[] = [];
  try {
    for await (const f of await openVideoFrames(path, { fps: 25, maxSize: MAX_SIZE })) {
      const image = { width: f.width, height: f.height, data: f.rgb };
      const { faces } = await landmarker.detect(image);
      const face = faces.length === 1 ? faces[0] : undefined;
      lips[f.frameIndex] = face ? trackedInnerLips(model, meshXY(face.landmarks)) : undefined;
    }
  } finally {
    await landmarker.close();
  }
  return lips;
}

/** The 468 mesh points as (x, y) pairs (the landmarker gives 478 × (x, y, z)). */
function meshXY(landmarks: Float32Array): Float32Array {
  const out = new Float32Array(FACE_VERTEX_COUNT * 2);
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    out[i * 2] = landmarks[i * 3] as number;
    out[i * 2 + 1] = landmarks[i * 3 + 1] as number;
  }
  return out;
}

async function writeManifest(dir: string, sources: typeof used, entries: number): Promise<void> {
  const sha = async (name: string) =>
    createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  const manifest = {
    name: 'facecast-mouthbank-generic',
    version: '1.0.0',
    description:
      'Real mouth interiors (teeth, tongue, inner lips) of many people, indexed by lip shape, for photo avatars (src/mouthbank).',
    files: {
      'mouthbank.json': await sha('mouthbank.json'),
      'mouthbank.bin': await sha('mouthbank.bin'),
    },
    entries,
    build: {
      script: 'scripts/mouthbank/build-generic.ts',
      perClip,
      maxSizePx: MAX_SIZE,
      heldOutExcluded: 'test/fixtures/heldout/heldout.json sources',
    },
    trainingData: sources.map((s) => ({
      file: s.file,
      terms: s.terms,
      sourceRepo: s.repo,
      frames: s.frames,
      entries: s.entries,
    })),
    terms:
      "Every source is marked 'open?' in ../shared/fixtures/terms.tsv: a permissive repository licence, the footage's own rights unverified. Review before commercial use.",
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
