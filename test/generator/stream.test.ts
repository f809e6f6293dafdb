import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutralFrame } from '../../src/controls/index.ts';
import {
  DEFAULT_GENERATOR_MODEL_DIR,
  DEFAULT_SR_MODEL_DIR,
  faceCropBox,
  framedReference,
  Generator,
  type SlotSource,
} from '../../src/generator/index.ts';
import { createRenderer, type Renderer, type RgbImage } from '../../src/render/index.ts';
import { tempDir } from '../helpers/media.ts';
import { AVATAR_DIR } from '../render/helpers.ts';

let generator: Generator;
let renderer: Renderer;
let reference: RgbImage;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  generator = await Generator.load({ executionProviders: ['cpu'], threads: 1 });
  renderer = await createRenderer(AVATAR_DIR, { size: 256 });
  reference = framedReference(
    renderer.reference as NonNullable<Renderer['reference']>,
    renderer.width,
    renderer.height,
  );
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  renderer.close();
  await generator.close();
  await cleanup();
});

/** Frame i of a short talking sequence (copied: the renderer reuses its buffers). */
function frame(i: number, shiftIod = 0): SlotSource {
  const f = neutralFrame();
  f.blendshapes.jawOpen = 0.35 * Math.abs(Math.sin(i / 2));
  f.head.x = shiftIod;
  const { composite, maps } = renderer.render(f);
  return {
    composite: { ...composite, data: composite.data.slice() },
    maps: {
      ...maps,
      labels: maps.labels.slice(),
      warped: maps.warped.slice(),
      disocclusion: maps.disocclusion.slice(),
      coords: maps.coords.slice(),
    },
    reference,
  };
}

async function generate(frames: SlotSource[], options: Parameters<Generator['createStream']>[0]) {
  const stream = generator.createStream(options);
  const out: Uint8Array[] = [];
  const perPush: number[] = [];
  for (const f of frames) {
    const done = await stream.push(f);
    perPush.push(done.length);
    for (const o of done) out.push(o.data.slice());
  }
  for (const o of await stream.flush()) out.push(o.data.slice());
  const stats = stream.toJSON();
  stream.close();
  return { out, perPush, stats };
}

describe('GeneratorStream', () => {
  let frames: SlotSource[];
  beforeAll(() => {
    frames = Array.from({ length: 6 }, (_, i) => frame(i));
  });

  it('returns a window when it is full, every frame once, and is deterministic per seed', async () => {
    const a = await generate(frames, { seed: 5, framesPerWindow: 4 });
    expect(a.perPush).toEqual([0, 0, 0, 4, 0, 0]);
    expect(a.out).toHaveLength(6);
    expect(a.stats).toMatchObject({
      framesIn: 6,
      framesOut: 6,
      windows: 2,
      coldStarts: 1,
      cropChanges: 1,
    });
    const b = await generate(frames, { seed: 5, framesPerWindow: 4 });
    expect(b.out).toEqual(a.out);
    const live = await generate(frames, { seed: 5, framesPerWindow: 1 });
    expect(live.perPush).toEqual([1, 1, 1, 1, 1, 1]);
    expect(live.stats.windows).toBe(6);
  });

  it('changes only the face crop: outside it the output is the warp-only composite', async () => {
    const { out } = await generate(frames.slice(0, 2), { seed: 1, framesPerWindow: 2 });
    const box = faceCropBox(
      frames[0]?.maps.labels as Uint8Array,
      renderer.width,
      renderer.height,
      1.25,
    );
    if (!box) throw new Error('no face');
    const w = renderer.width;
    let outside = 0;
    let inside = 0;
    const composite = frames[0]?.composite.data as Uint8Array;
    const first = out[0] as Uint8Array;
    for (let p = 0; p < w * renderer.height; p++) {
      const x = p % w;
      const y = Math.floor(p / w);
      const inBox = x >= box.x && x < box.x + box.size && y >= box.y && y < box.y + box.size;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs((first[p * 3 + c] as number) - (composite[p * 3 + c] as number));
        if (inBox) inside += d;
        else outside += d;
      }
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0); // the trained model does correct the face
  });

  it('drops the context when the crop has to move (the head moves sideways)', async () => {
    const moving = [frame(0), frame(1), frame(2, 0.5), frame(3, 0.5)];
    const { stats, out } = await generate(moving, { seed: 1, framesPerWindow: 4 });
    expect(out).toHaveLength(4);
    expect(stats.cropChanges).toBe(2);
    expect(stats.coldStarts).toBe(2);
    expect(stats.windows).toBe(2);
  });

  it('rejects frames whose size changes and use after close', async () => {
    const stream = generator.createStream();
    await stream.push(frames[0] as SlotSource);
    const small = {
      ...(frames[0] as SlotSource),
      composite: { width: 8, height: 8, data: new Uint8Array(192) },
    };
    await expect(stream.push(small)).rejects.toMatchObject({ code: 'GENERATOR_BAD_INPUT' });
    stream.close();
    stream.close();
    await expect(stream.push(frames[0] as SlotSource)).rejects.toMatchObject({
      code: 'GENERATOR_CLOSED',
    });
    expect(() => generator.createStream({ framesPerWindow: 0 })).toThrow(/framesPerWindow/);
  });

  it('measures a positive per-frame cost', async () => {
    expect(await generator.probeFrameMs({ iterations: 1 })).toBeGreaterThan(0);
  });
});

describe('Generator.load', () => {
  it('refuses a model whose bytes do not match the manifest, and a missing one', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad);
    await copyFile(join(DEFAULT_GENERATOR_MODEL_DIR, 'manifest.json'), join(bad, 'manifest.json'));
    const bytes = await readFile(join(DEFAULT_GENERATOR_MODEL_DIR, 'generator.onnx'));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    await writeFile(join(bad, 'generator.onnx'), bytes);
    await expect(
      Generator.load({ modelDir: bad, executionProviders: ['cpu'] }),
    ).rejects.toMatchObject({
      code: 'GENERATOR_MODEL_INVALID',
    });
    await expect(Generator.load({ modelDir: join(dir, 'none') })).rejects.toMatchObject({
      code: 'GENERATOR_MODEL_MISSING',
    });
    await expect(
      Generator.load({ srDir: join(dir, 'none'), executionProviders: ['cpu'] }),
    ).rejects.toMatchObject({
      code: 'GENERATOR_MODEL_MISSING',
    });
    expect(DEFAULT_SR_MODEL_DIR).toMatch(/models\/sr$/);
  });
});
