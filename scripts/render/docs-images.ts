/**
 * The render images in docs/images (look at them after any change of the renderer):
 *
 *   node --import tsx scripts/render/docs-images.ts maps
 *       docs/images/render-maps.png: per Controls frame (rows) the composite, warped
 *       reference, disocclusion mask, face coordinates and part labels (columns)
 *   node --import tsx scripts/render/docs-images.ts talking
 *       docs/images/render-talking.png: a talking-photo strip (face crops of composites)
 *   node --import tsx scripts/render/docs-images.ts tracked --video <mp4> --controls <out.csv>
 *       tracks the video (src/face trackVideo, what `facecast track` runs), writes its
 *       Controls, and draws docs/images/render-tracked.png: source face, rendered face,
 *       source mouth, rendered mouth (rows) for 8 frames (the most open and some closed)
 *
 * All use test/fixtures/avatars/s42 (override with --avatar <dir>).
 */
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import {
  type ControlsFrame,
  neutralFrame,
  setBlendshapeVector,
  writeControlsFile,
} from '../../src/controls/index.ts';
import { trackVideo } from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import {
  createRenderer,
  PART_LABELS,
  type RgbImage,
  resizeRgb,
  visualiseMaps,
} from '../../src/render/index.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    avatar: { type: 'string', default: 'test/fixtures/avatars/s42' },
    video: { type: 'string' },
    controls: { type: 'string' },
    out: { type: 'string' },
  },
});
const what = positionals[0];
await mkdir('docs/images', { recursive: true });

/** A grid of equally sized RGB tiles, `columns` wide, with a `gap` px white border. */
async function writeGrid(path: string, tiles: RgbImage[], columns: number, gap = 4): Promise<void> {
  const w = (tiles[0] as RgbImage).width;
  const h = (tiles[0] as RgbImage).height;
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * w + (columns + 1) * gap;
  const height = rows * h + (rows + 1) * gap;
  const out = Buffer.alloc(width * height * 3, 255);
  tiles.forEach((tile, i) => {
    const x0 = gap + (i % columns) * (w + gap);
    const y0 = gap + Math.floor(i / columns) * (h + gap);
    for (let y = 0; y < h; y++) {
      Buffer.from(tile.data.buffer, tile.data.byteOffset + y * w * 3, w * 3).copy(
        out,
        ((y0 + y) * width + x0) * 3,
      );
    }
  });
  await sharp(out, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toFile(path);
  console.log(`wrote ${path} (${width}×${height})`);
}

function crop(
  image: RgbImage,
  x: number,
  y: number,
  w: number,
  h: number,
  outW = w,
  outH = h,
): RgbImage {
  return resizeRgb(
    image,
    { width: outW, height: outH, data: new Uint8Array(outW * outH * 3) },
    { x, y, width: w, height: h },
  );
}

function copyImage(image: RgbImage): RgbImage {
  return { width: image.width, height: image.height, data: image.data.slice() };
}

const frame = (edit: (f: ControlsFrame) => void): ControlsFrame => {
  const f = neutralFrame();
  edit(f);
  return f;
};

if (what === 'maps') {
  const renderer = await createRenderer(values.avatar, { size: 256 });
  const reference = renderer.reference;
  const rows: [string, ControlsFrame][] = [
    [
      'reference expression',
      frame((f) => {
        if (reference) setBlendshapeVector(f, reference.weights);
      }),
    ],
    [
      'jawOpen 0.7, smile 0.3',
      frame((f) => {
        f.blendshapes.jawOpen = 0.7;
        f.blendshapes.mouthSmileLeft = 0.3;
        f.blendshapes.mouthSmileRight = 0.3;
      }),
    ],
    [
      'blink, yaw 0.25, jaw 0.3',
      frame((f) => {
        f.blendshapes.eyeBlinkLeft = 1;
        f.blendshapes.eyeBlinkRight = 1;
        f.blendshapes.jawOpen = 0.3;
        f.head.yaw = 0.25;
      }),
    ],
    [
      'roll 0.15, gaze 0.3, funnel',
      frame((f) => {
        f.head.roll = 0.15;
        f.gaze.leftYaw = 0.3;
        f.gaze.rightYaw = 0.3;
        f.blendshapes.mouthFunnel = 0.6;
        f.blendshapes.jawOpen = 0.35;
      }),
    ],
  ];
  const tiles: RgbImage[] = [];
  for (const [label, f] of rows) {
    const { composite, maps } = renderer.render(f);
    const v = visualiseMaps(maps);
    const tile = (data: Uint8Array) => ({
      width: renderer.width,
      height: renderer.height,
      data: data.slice(),
    });
    tiles.push(
      tile(composite.data),
      tile(v.warped),
      tile(v.disocclusion),
      tile(v.coords),
      tile(v.labels),
    );
    console.log(label);
  }
  await writeGrid(values.out ?? 'docs/images/render-maps.png', tiles, 5);
} else if (what === 'talking') {
  const renderer = await createRenderer(values.avatar, { size: 512 });
  // A made-up utterance: jaw/lip shapes of "a", "o", "m", "e", "u", a blink, a head turn.
  const shapes: ((f: ControlsFrame) => void)[] = [
    () => {},
    (f) => {
      f.blendshapes.jawOpen = 0.55;
      f.blendshapes.mouthStretchLeft = 0.2;
      f.blendshapes.mouthStretchRight = 0.2;
    },
    (f) => {
      f.blendshapes.jawOpen = 0.35;
      f.blendshapes.mouthFunnel = 0.7;
      f.blendshapes.mouthPucker = 0.3;
    },
    (f) => {
      f.blendshapes.mouthClose = 0.3;
      f.blendshapes.mouthPressLeft = 0.4;
      f.blendshapes.mouthPressRight = 0.4;
    },
    (f) => {
      f.blendshapes.jawOpen = 0.25;
      f.blendshapes.mouthSmileLeft = 0.5;
      f.blendshapes.mouthSmileRight = 0.5;
    },
    (f) => {
      f.blendshapes.jawOpen = 0.2;
      f.blendshapes.mouthPucker = 0.8;
      f.head.yaw = 0.1;
    },
    (f) => {
      f.blendshapes.eyeBlinkLeft = 1;
      f.blendshapes.eyeBlinkRight = 1;
      f.blendshapes.jawOpen = 0.1;
      f.head.yaw = 0.15;
    },
    (f) => {
      f.blendshapes.jawOpen = 0.45;
      f.head.yaw = -0.12;
      f.head.pitch = 0.06;
      f.blendshapes.browInnerUp = 0.5;
    },
  ];
  const tiles = shapes.map((edit) =>
    crop(copyImage(renderer.render(frame(edit)).composite), 96, 40, 320, 400, 240, 300),
  );
  await writeGrid(values.out ?? 'docs/images/render-talking.png', tiles, 8);
} else if (what === 'tracked') {
  // Tracks the video with src/face (what `facecast track` runs), writes the Controls to
  // --controls, renders them onto the avatar, and shows source and render side by side.
  if (!values.video || !values.controls)
    throw new Error('tracked needs --video and --controls <out.csv>');
  const tracked = await trackVideo(values.video, { keepLandmarks: true });
  await writeControlsFile(values.controls, tracked.sequence);
  const sequence = tracked.sequence;
  const landmarks = tracked.landmarks as Float32Array;
  const renderer = await createRenderer(values.avatar, { size: 512 });
  const jaw = sequence.frames.map((f) => f.blendshapes.jawOpen);
  // 8 frames in time order: the 5 most open mouths and 3 closed ones, spread out.
  const order = jaw.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const picks = new Set<number>();
  const minGap = Math.max(3, Math.floor(jaw.length / 24));
  const take = (list: (readonly [number, number])[], n: number) => {
    for (const [, i] of list) {
      if (n === 0) break;
      if ([...picks].every((p) => Math.abs(p - i) >= minGap)) {
        picks.add(i);
        n--;
      }
    }
  };
  take(order, 5);
  take([...order].reverse(), 3);
  const wanted = [...picks].sort((a, b) => a - b);
  const source = new Map<number, RgbImage>();
  for await (const f of await openVideoFrames(values.video, { fps: 25 })) {
    if (picks.has(f.frameIndex))
      source.set(f.frameIndex, { width: f.width, height: f.height, data: f.rgb });
    if (f.frameIndex >= (wanted[wanted.length - 1] as number)) break;
  }
  const box = (xs: number[], ys: number[], pad: number) => {
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    const side = Math.max(Math.max(...xs) - x0, Math.max(...ys) - y0) * (1 + 2 * pad);
    return {
      x: Math.round((x0 + Math.max(...xs)) / 2 - side / 2),
      y: Math.round((y0 + Math.max(...ys)) / 2 - side / 2),
      side: Math.round(side),
    };
  };
  const rows: RgbImage[][] = [[], [], [], []];
  for (const i of wanted) {
    const src = source.get(i);
    if (!src) continue;
    const lm = (k: number, a: number) => landmarks[(i * 478 + k) * 3 + a] as number;
    const all = Array.from({ length: 468 }, (_, k) => k);
    const face = box(
      all.map((k) => lm(k, 0)),
      all.map((k) => lm(k, 1)),
      0.12,
    );
    const lips = [61, 291, 0, 17, 13, 14, 78, 308];
    const mouth = box(
      lips.map((k) => lm(k, 0)),
      lips.map((k) => lm(k, 1)),
      0.25,
    );
    rows[0]?.push(crop(src, face.x, face.y, face.side, face.side, 200, 200));
    rows[2]?.push(crop(src, mouth.x, mouth.y, mouth.side, mouth.side, 200, 200));
    const { composite, maps } = renderer.render(sequence.frames[i] as ControlsFrame);
    const image = copyImage(composite);
    const xs: number[] = [];
    const ys: number[] = [];
    const faceXs: number[] = [];
    const faceYs: number[] = [];
    maps.labels.forEach((l, p) => {
      if (l === PART_LABELS.lips || l === PART_LABELS.mouthInterior) {
        xs.push(p % renderer.width);
        ys.push(Math.floor(p / renderer.width));
      }
      if (l !== PART_LABELS.background && l !== PART_LABELS.body && p % 7 === 0) {
        faceXs.push(p % renderer.width);
        faceYs.push(Math.floor(p / renderer.width));
      }
    });
    const rf = box(faceXs, faceYs, 0.12);
    const rm = box(xs, ys, 0.25);
    rows[1]?.push(crop(image, rf.x, rf.y, rf.side, rf.side, 200, 200));
    rows[3]?.push(crop(image, rm.x, rm.y, rm.side, rm.side, 200, 200));
    console.log(`frame ${i}: jawOpen ${(jaw[i] as number).toFixed(2)}`);
  }
  await writeGrid(values.out ?? 'docs/images/render-tracked.png', rows.flat(), wanted.length);
} else {
  console.error('usage: docs-images.ts maps | talking | tracked --video <mp4> --controls <file>');
  process.exit(2);
}
