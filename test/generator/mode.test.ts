import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_GENERATOR_MODEL_DIR,
  type GeneratorManifest,
  resolveGenerator,
} from '../../src/generator/index.ts';
import { tempDir } from '../helpers/media.ts';

let dir: string;
let cleanup: () => Promise<void>;
let shipped: GeneratorManifest;

/** A copy of the shipped generator whose manifest's evaluation is replaced. */
async function withEvaluation(
  name: string,
  evaluation: GeneratorManifest['evaluation'],
): Promise<string> {
  const target = join(dir, name);
  await mkdir(target);
  await copyFile(
    join(DEFAULT_GENERATOR_MODEL_DIR, 'generator.onnx'),
    join(target, 'generator.onnx'),
  );
  await writeFile(join(target, 'manifest.json'), JSON.stringify({ ...shipped, evaluation }));
  return target;
}

const scores = (psnrDb: number) => ({
  psnrDb,
  ssim: 0.9,
  facePsnrDb: psnrDb - 3,
  faceSsim: 0.8,
  flicker: 0.3,
});
const evaluation = (wins: boolean): NonNullable<GeneratorManifest['evaluation']> => ({
  measuredAt: '2026-01-01T00:00:00Z',
  command: 'test',
  clips: ['a.mp4'],
  frames: 10,
  warpOnly: scores(30),
  generator: scores(wins ? 31 : 29),
  perClip: [],
  psnrGainDb: { mean: wins ? 1 : -1, ci95: wins ? [0.5, 1.5] : [-1.5, -0.5] },
  wins,
  rule: 'test rule',
});

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  shipped = JSON.parse(await readFile(join(DEFAULT_GENERATOR_MODEL_DIR, 'manifest.json'), 'utf8'));
});
afterAll(() => cleanup());

describe('resolveGenerator (--generator on|off|auto)', () => {
  it('off is warp-only without loading anything', async () => {
    const d = await resolveGenerator('off', { modelDir: join(dir, 'nowhere') });
    expect(d).toMatchObject({ enabled: false, mode: 'off' });
    expect(d.generator).toBeUndefined();
  });

  it('auto keeps warp-only when the held-out evaluation says the generator loses, or is missing', async () => {
    const loses = await resolveGenerator('auto', {
      modelDir: await withEvaluation('loses', evaluation(false)),
    });
    expect(loses.enabled).toBe(false);
    expect(loses.reason).toMatch(/does not beat it.*PSNR 29\.00 vs 30\.00/);
    const unevaluated = await resolveGenerator('auto', {
      modelDir: await withEvaluation('none', null),
    });
    expect(unevaluated).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/not been evaluated/),
    });
    const missing = await resolveGenerator('auto', { modelDir: join(dir, 'nowhere') });
    expect(missing).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/no usable generator/),
    });
  });

  it('auto enables a winning generator, unless it cannot meet a real-time budget', async () => {
    const modelDir = await withEvaluation('wins', evaluation(true));
    const on = await resolveGenerator('auto', { modelDir, executionProviders: ['cpu'] });
    expect(on.enabled).toBe(true);
    expect(on.generator?.executionProvider).toBe('cpu');
    await on.generator?.close();
    const slow = await resolveGenerator('auto', {
      modelDir,
      executionProviders: ['cpu'],
      frameBudgetMs: 0.001,
    });
    expect(slow).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/over the 0\.001 ms budget/),
    });
    expect(slow.generator).toBeUndefined();
  });

  it('auto keeps warp-only for live use when only the offline verdict is a win', async () => {
    const modelDir = await withEvaluation('offline-only', {
      ...evaluation(true),
      live: {
        framesPerWindow: 1,
        generator: scores(29.5),
        psnrGainDb: { mean: -0.5, ci95: [-0.8, -0.2] },
        wins: false,
      },
    });
    const live = await resolveGenerator('auto', {
      modelDir,
      executionProviders: ['cpu'],
      frameBudgetMs: 1e6,
    });
    expect(live).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/not live, with 1-frame windows/),
    });
    const offline = await resolveGenerator('auto', { modelDir, executionProviders: ['cpu'] });
    expect(offline.enabled).toBe(true);
    await offline.generator?.close();
  });

  it('on loads the generator whatever the evaluation says, and fails clearly without models', async () => {
    const on = await resolveGenerator('on', {
      modelDir: await withEvaluation('on', evaluation(false)),
      executionProviders: ['cpu'],
    });
    expect(on.enabled).toBe(true);
    await on.generator?.close();
    await expect(resolveGenerator('on', { modelDir: join(dir, 'nowhere') })).rejects.toMatchObject({
      code: 'GENERATOR_UNAVAILABLE',
    });
  });
});
