/**
 * Records @vladmandic/human's own MoveNet body keypoints (tfjs-wasm, as facecast ran the body
 * model before models/movenet) on the committed parity images (human-reference.ts: photos,
 * then video frames, in that order, one stream — Human holds keypoints that barely move
 * between calls), for the parity test (test/face/movenet.test.ts).
 *
 *   node --import tsx scripts/face/movenet-reference.ts [--out test/fixtures/face/human-body.json]
 *   node --import tsx scripts/face/movenet-reference.ts --check [--write]
 *
 * `--check` runs models/movenet (BodyDetector) over the same images and prints its distance
 * to the recorded reference; with `--write` it records it in models/movenet/manifest.json
 * (`measured.parity`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config, Human } from '@vladmandic/human';
import { BodyDetector } from '../../src/face/body.ts';
import type { DetectedBody, RgbImage } from '../../src/face/index.ts';
import { createHuman } from './human.ts';
import { parityImages } from './human-reference.ts';

/** Human's body configuration as facecast ran it (MoveNet Lightning, every keypoint). */
export const HUMAN_BODY_CONFIG = {
  backend: 'wasm',
  debug: false,
  async: true,
  warmup: 'none',
  cacheModels: false,
  filter: { enabled: false },
  face: { enabled: false },
  body: {
    enabled: true,
    modelPath: 'movenet-lightning.json',
    maxDetected: 1,
    minConfidence: 0,
    skipFrames: 0,
    skipTime: 0,
  },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
};

/** One parity image's reference: Human's body (keypoints in image pixels). */
export interface BodyParityItem {
  source: string;
  frameIndex?: number;
  width: number;
  height: number;
  body: DetectedBody | null;
}

/** Human's body in an image, as facecast's former BodyDetector reported it. */
export async function humanBody(human: Human, image: RgbImage): Promise<DetectedBody | null> {
  const tensor = human.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  const result = await human.detect(tensor as never);
  tensor.dispose();
  const first = result.body[0];
  if (!first) return null;
  const byName = new Map(first.keypoints.map((k) => [k.part as string, k]));
  const keypoints: DetectedBody['keypoints'] = [];
  for (const [name, k] of byName) {
    keypoints.push({ name: name as never, x: k.position[0], y: k.position[1], score: k.score });
  }
  return { score: first.score, keypoints };
}

/** How far our keypoints are from Human's on the parity images. */
export interface BodyParity {
  /** Keypoints compared (named in both), and those only one side reports. */
  compared: number;
  unmatched: number;
  /** Distances, px: mean, 95th percentile, max; scores: largest difference. */
  meanPx: number;
  p95Px: number;
  maxPx: number;
  maxScoreDiff: number;
}

/** Compares bodies item by item (the same images, the same order). */
export function bodyParity(reference: BodyParityItem[], ours: (DetectedBody | null)[]): BodyParity {
  const distances: number[] = [];
  let unmatched = 0;
  let maxScoreDiff = 0;
  reference.forEach((item, i) => {
    const mine = new Map((ours[i]?.keypoints ?? []).map((k) => [k.name, k]));
    const theirs = item.body?.keypoints ?? [];
    unmatched += Math.abs(mine.size - theirs.length);
    for (const k of theirs) {
      const m = mine.get(k.name);
      if (!m) continue;
      distances.push(Math.hypot(m.x - k.x, m.y - k.y));
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs(m.score - k.score));
    }
  });
  distances.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    compared: distances.length,
    unmatched,
    meanPx: round(distances.reduce((a, b) => a + b, 0) / Math.max(1, distances.length)),
    p95Px: round(distances[Math.floor(0.95 * (distances.length - 1))] ?? 0),
    maxPx: round(distances.at(-1) ?? 0),
    maxScoreDiff: round(maxScoreDiff),
  };
}

/** Our keypoints on the parity images (one detector, one stream, in order). */
export async function ourBodies(): Promise<(DetectedBody | null)[]> {
  const detector = await BodyDetector.load();
  try {
    const out: (DetectedBody | null)[] = [];
    for await (const { image } of parityImages()) out.push((await detector.detect(image)) ?? null);
    return out;
  } finally {
    await detector.close();
  }
}

async function check(reference: string, write: boolean): Promise<void> {
  const items = (JSON.parse(await readFile(reference, 'utf8')) as { items: BodyParityItem[] })
    .items;
  const parity = bodyParity(items, await ourBodies());
  console.log(parity);
  if (!write) return;
  const path = 'models/movenet/manifest.json';
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  manifest.measured = {
    parity: {
      method: `keypoints vs @vladmandic/human 3.3.6 (MoveNet on tfjs-wasm) on ${items.length} committed images (${reference}: 8 photos, 16 video frames; held-out ones included), one stream in order`,
      ...parity,
    },
  };
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'test/fixtures/face/human-body.json' },
      check: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
  });
  if (values.check) return check(values.out, values.write);
  const human = await createHuman(HUMAN_BODY_CONFIG as Partial<Config>);
  const items: BodyParityItem[] = [];
  for await (const { source, frameIndex, image } of parityImages()) {
    const body = await humanBody(human, image);
    items.push({
      source,
      ...(frameIndex === undefined ? {} : { frameIndex }),
      width: image.width,
      height: image.height,
      body,
    });
    console.log(
      `${source}${frameIndex === undefined ? '' : `#${frameIndex}`}: ${body?.keypoints.length ?? 0} keypoints`,
    );
  }
  const doc = {
    about:
      'Body keypoints from @vladmandic/human 3.3.6 (MoveNet Lightning, tfjs-wasm, one stream over the parity images in order) made by scripts/face/movenet-reference.ts',
    items,
  };
  await writeFile(values.out, `${JSON.stringify(doc)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
