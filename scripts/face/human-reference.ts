/**
 * Records @vladmandic/human's own face landmarks (BlazeFace + Face Mesh + Iris on tfjs-wasm,
 * photo mode: a fresh detection per image, as facecast ran it before the ONNX landmarker) on
 * committed photos and video frames, for the parity test (test/face/landmarker.test.ts) and
 * `npm run bench -- landmarks`.
 *
 *   node --import tsx scripts/face/human-reference.ts [--out test/fixtures/face/human-landmarks.json]
 *
 * Human reports whole pixels (it truncates x, y and z), so the reference is integers.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config, Human } from '@vladmandic/human';
import { LANDMARK_COUNT, loadImage, type RgbImage } from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { createHuman } from './human.ts';

export const PARITY_PHOTOS = [
  'test/fixtures/face/portrait_s42.jpg',
  'test/fixtures/face/portrait_happy_256.png',
  'test/fixtures/face/group_3faces.jpg',
  'test/fixtures/heldout/photos/edmarkey_bw.jpg',
  'test/fixtures/heldout/photos/edmarkey_mouth_open.jpg',
  'test/fixtures/heldout/photos/german_neutral.jpg',
  'test/fixtures/heldout/photos/katiehill_smile_teeth.jpg',
  'test/fixtures/heldout/photos/tango_female_halfbody.jpg',
];
/** Video frames (25 fps, longest side ≤ 512, as `facecast track` decodes them). */
export const PARITY_CLIPS = [
  { path: 'test/fixtures/face/grid_bbaf2n.mpg', frames: [0, 20, 40, 60] },
  { path: 'test/fixtures/heldout/clips/edmarkey_256.mp4', frames: [0, 40, 80] },
  { path: 'test/fixtures/heldout/clips/german_256.mp4', frames: [0, 40, 80] },
  { path: 'test/fixtures/heldout/clips/katiehill_256.mp4', frames: [0, 40, 80] },
  { path: 'test/fixtures/heldout/clips/tango_female_384.mp4', frames: [0, 40, 80] },
];

/** Human's face configuration as facecast ran it (photo mode; `HUMAN_VIDEO_CONFIG` for video). */
export const HUMAN_FACE_CONFIG = {
  backend: 'wasm',
  debug: false,
  async: true,
  warmup: 'none',
  cacheModels: false,
  filter: { enabled: false },
  face: {
    enabled: true,
    detector: {
      rotation: true,
      return: false,
      maxDetected: 5,
      minConfidence: 0.5,
      skipFrames: 0,
      skipTime: 0,
    },
    mesh: { enabled: true },
    iris: { enabled: true, skipFrames: 0, skipTime: 0 },
    emotion: { enabled: false },
    description: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
    attention: { enabled: false },
    gear: { enabled: false },
  },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
  cacheSensitivity: 0,
  skipAllowed: false,
};

/** Video mode as facecast ran it: Human reuses the previous face box, re-detecting every 5 frames. */
export const HUMAN_VIDEO_CONFIG = {
  ...HUMAN_FACE_CONFIG,
  face: {
    ...HUMAN_FACE_CONFIG.face,
    detector: { ...HUMAN_FACE_CONFIG.face.detector, skipFrames: 5, skipTime: 1000 },
  },
  cacheSensitivity: 0.01,
  skipAllowed: true,
};

/** A loaded Human with facecast's former face configuration. */
export async function loadHumanFaces(video: boolean): Promise<Human> {
  return createHuman((video ? HUMAN_VIDEO_CONFIG : HUMAN_FACE_CONFIG) as Partial<Config>);
}

/** Human's faces in an image, largest first: integer landmarks (478 × 3) and its box. */
export async function humanFaces(
  human: Human,
  image: RgbImage,
): Promise<{ box: number[]; landmarks: number[] }[]> {
  const tensor = human.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  const result = await human.detect(tensor as never);
  tensor.dispose();
  return result.face
    .filter((f) => f.mesh.length >= LANDMARK_COUNT)
    .sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
    .map((f) => ({
      box: [...f.box],
      landmarks: f.mesh.slice(0, LANDMARK_COUNT).flatMap((p) => [p[0], p[1], p[2] ?? 0]),
    }));
}

/** One image of the parity set: where it comes from and how to decode it again. */
export interface ParityItem {
  source: string;
  /** Frame index at 25 fps (video), absent for photos. */
  frameIndex?: number;
  width: number;
  height: number;
  /** Human's faces, largest first: 478 × 3 integers each. */
  faces: { box: number[]; landmarks: number[] }[];
}

/** The parity images, decoded as the test and the bench decode them. */
export async function* parityImages(): AsyncGenerator<{
  source: string;
  frameIndex?: number;
  image: RgbImage;
}> {
  for (const path of PARITY_PHOTOS) yield { source: path, image: await loadImage(path) };
  for (const clip of PARITY_CLIPS) {
    const video = await openVideoFrames(clip.path, { fps: 25, maxSize: 512 });
    const wanted = new Set(clip.frames);
    // read to the end (short clips): leaving early kills ffmpeg mid-stream
    for await (const frame of video) {
      if (!wanted.has(frame.frameIndex)) continue;
      const image = { width: frame.width, height: frame.height, data: frame.rgb };
      yield { source: clip.path, frameIndex: frame.frameIndex, image };
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'test/fixtures/face/human-landmarks.json' } },
  });
  const human = await loadHumanFaces(false);
  const items: ParityItem[] = [];
  for await (const { source, frameIndex, image } of parityImages()) {
    const faces = await humanFaces(human, image);
    items.push({
      source,
      ...(frameIndex === undefined ? {} : { frameIndex }),
      width: image.width,
      height: image.height,
      faces,
    });
    console.log(
      `${source}${frameIndex === undefined ? '' : `#${frameIndex}`}: ${faces.length} face(s)`,
    );
  }
  const doc = {
    about:
      'Face landmarks from @vladmandic/human 3.3.6 (tfjs-wasm, photo mode) made by scripts/face/human-reference.ts',
    items,
  };
  await writeFile(values.out, `${JSON.stringify(doc)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
