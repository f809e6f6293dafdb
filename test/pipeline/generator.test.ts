import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutralFrame } from '../../src/controls/index.ts';
import { faceCropBox, Generator } from '../../src/generator/index.ts';
import { avatarFolders, createLiveStages } from '../../src/live/stages.ts';
import { MotionModel } from '../../src/motion/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { createRenderer } from '../../src/render/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';

// The generator inside the two products that render avatars: video jobs (VideoPipeline,
// windows of frames, the last partial window flushed) and live sessions (one frame per
// window). What it must do there: same frame count and timing as warp-only, pixels changed
// only inside the face crop, and the crop actually corrected.

const SIZE = 256;
const AVATAR = fixture('avatars/s42');

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
let generator: Generator;
let motion: MotionModel;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-generator-'));
  clip = join(dir, 'clip.wav');
  // 2.2 s = 55 frames: not a multiple of the 4-frame window, so the flush path runs.
  await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '2.2', clip]);
  generator = await Generator.load();
  motion = await MotionModel.load();
});
afterAll(async () => {
  await generator?.close();
  await motion?.close();
  await cleanup?.();
});

async function rgbFrames(path: string): Promise<Uint8Array[]> {
  const out = `${path}.rgb`;
  await ffmpeg(['-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', out]);
  const raw = new Uint8Array(await readFile(out));
  const frameBytes = SIZE * SIZE * 3;
  const frames: Uint8Array[] = [];
  for (let o = 0; o + frameBytes <= raw.length; o += frameBytes)
    frames.push(raw.subarray(o, o + frameBytes));
  return frames;
}

/** Mean |a − b| over pixels inside / outside a square box. */
function diffInOut(
  a: Uint8Array,
  b: Uint8Array,
  box: { x: number; y: number; size: number },
  margin: number,
) {
  let inside = 0;
  let nIn = 0;
  let outside = 0;
  let nOut = 0;
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const i = (y * SIZE + x) * 3;
      const d =
        (Math.abs((a[i] as number) - (b[i] as number)) +
          Math.abs((a[i + 1] as number) - (b[i + 1] as number)) +
          Math.abs((a[i + 2] as number) - (b[i + 2] as number))) /
        3;
      const inBox = x >= box.x && x < box.x + box.size && y >= box.y && y < box.y + box.size;
      const nearBox =
        x >= box.x - margin &&
        x < box.x + box.size + margin &&
        y >= box.y - margin &&
        y < box.y + box.size + margin;
      if (inBox) {
        inside += d;
        nIn++;
      } else if (!nearBox) {
        outside += d;
        nOut++;
      }
    }
  return { inside: inside / nIn, outside: outside / nOut };
}

describe('generator in the video pipeline', () => {
  it('--generator on: same frames and length as warp-only, changed only inside the face crop', async () => {
    const results = [];
    for (const mode of ['off', 'on'] as const) {
      const pipeline = await VideoPipeline.load({ generator: mode });
      try {
        expect(pipeline.generatorDecision.enabled).toBe(mode === 'on');
        results.push(
          await pipeline.render({
            avatarDir: AVATAR,
            audioPath: clip,
            outPath: join(dir, `${mode}.mp4`),
            sizePx: SIZE,
            seed: 3,
          }),
        );
      } finally {
        await pipeline.close();
      }
    }
    const [warp, gen] = results as [
      Awaited<ReturnType<VideoPipeline['render']>>,
      Awaited<ReturnType<VideoPipeline['render']>>,
    ];
    expect(warp.renderer).toBe('warp');
    expect(gen.renderer).toBe('generator');
    expect(gen.frames).toBe(55);
    expect(gen.frames).toBe(warp.frames);
    expect(gen.durationMs).toBe(warp.durationMs);

    const a = await rgbFrames(join(dir, 'off.mp4'));
    const b = await rgbFrames(join(dir, 'on.mp4'));
    expect(b.length).toBe(55);
    const renderer = await createRenderer(AVATAR, { size: SIZE });
    const box = faceCropBox(renderer.render(neutralFrame()).maps.labels, SIZE, SIZE);
    renderer.close();
    expect(box).toBeDefined();
    let inside = 0;
    let outside = 0;
    for (let f = 0; f < b.length; f++) {
      const d = diffInOut(
        a[f] as Uint8Array,
        b[f] as Uint8Array,
        box as NonNullable<typeof box>,
        8,
      );
      inside += d.inside / b.length;
      outside += d.outside / b.length;
    }
    console.info(
      `generator vs warp-only, mean |Δ| per channel: face crop ${inside.toFixed(2)}, elsewhere ${outside.toFixed(2)}`,
    );
    // Elsewhere only the encoder differs (x264 spreads a change a little: ~0.6 here); the
    // face crop carries the generator's correction (the last window came out of flush(), or
    // frame 55 would be missing).
    expect(outside).toBeLessThan(1);
    expect(inside).toBeGreaterThan(2 * outside);
  }, 180_000);

  it('auto follows the shipped evaluation; on without models is GENERATOR_UNAVAILABLE', async () => {
    const auto = await VideoPipeline.load({ generator: 'auto' });
    try {
      const wins = Boolean(generator.manifest.evaluation?.wins);
      expect(auto.generatorDecision.enabled).toBe(wins);
      expect(auto.generatorDecision.reason).toMatch(wins ? /^generator on/ : /^warp-only/);
    } finally {
      await auto.close();
    }
    await expect(
      VideoPipeline.load({
        generator: 'on',
        generatorOptions: { modelDir: join(dir, 'nowhere') },
      }),
    ).rejects.toMatchObject({ code: 'GENERATOR_UNAVAILABLE' });
  });
});

describe('generator in live sessions', () => {
  it('renders each frame at once (1-frame windows), the face corrected, the rest the warp', async () => {
    const resolveAvatar = avatarFolders([fixture('avatars')]);
    const plain = await createLiveStages({ resolveAvatar, motion, render: 'inline' });
    const generated = await createLiveStages({ resolveAvatar, motion, generator });
    const a = await plain.open('s42', { size: SIZE, seed: 1 }, {});
    const b = await generated.open('s42', { size: SIZE, seed: 1 }, {});
    try {
      const frame = neutralFrame();
      const warp = (await a.renderer.render(frame)).data.slice();
      const out = await b.renderer.render(frame);
      expect([out.width, out.height]).toEqual([SIZE, SIZE]);
      const renderer = await createRenderer(AVATAR, { size: SIZE });
      const box = faceCropBox(renderer.render(frame).maps.labels, SIZE, SIZE);
      renderer.close();
      const d = diffInOut(warp, out.data, box as NonNullable<typeof box>, 0);
      expect(d.outside).toBe(0);
      expect(d.inside).toBeGreaterThan(0.3);
    } finally {
      await a.renderer.close();
      await b.renderer.close();
      a.motion.close();
      b.motion.close();
      await plain.close();
      await generated.close();
    }
  }, 120_000);
});
