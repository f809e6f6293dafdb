import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/features/index.ts';
import { Generator } from '../../src/generator/index.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

let generator: Generator;
beforeAll(async () => {
  generator = await Generator.load({ executionProviders: ['cpu'], threads: 1 });
});
afterAll(() => generator.close());

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('parity: the TypeScript runtime reproduces PyTorch (committed fixtures)', () => {
  it('generator: x0 within the manifest tolerance', async () => {
    const { parity } = generator.manifest;
    const slots = await readNpy(resolve(ROOT, parity.fixture));
    const expected = await readNpy(resolve(ROOT, parity.expected));
    const out = await generator.session.run({ slots: { data: slots.data, dims: slots.shape } });
    const x0 = out.x0;
    if (!x0) throw new Error('no x0 output');
    expect([...x0.dims]).toEqual(expected.shape);
    // The fixture is a real held-out frame: the residual is not trivially 0.
    expect(maxAbsDiff(expected.data, new Float32Array(expected.data.length))).toBeGreaterThan(0.02);
    expect(maxAbsDiff(x0.data as Float32Array, expected.data)).toBeLessThanOrEqual(
      parity.tolerance,
    );
  });

  it('super-resolution: residual within the manifest tolerance', async () => {
    const { parity } = generator.srManifest;
    const dir = resolve(ROOT, parity.fixture, '..');
    const [composite, disocclusion, base, expected] = await Promise.all(
      ['sr_composite', 'sr_disocclusion', 'sr_base', 'sr_residual'].map((n) =>
        readNpy(resolve(dir, `${n}.npy`)),
      ),
    );
    if (!composite || !disocclusion || !base || !expected) throw new Error('fixture missing');
    const out = await generator.srSession.run({
      composite: { data: composite.data, dims: composite.shape },
      disocclusion: { data: disocclusion.data, dims: disocclusion.shape },
      base: { data: base.data, dims: base.shape },
    });
    const residual = out.residual;
    if (!residual) throw new Error('no residual output');
    expect([...residual.dims]).toEqual(expected.shape);
    expect(maxAbsDiff(residual.data as Float32Array, expected.data)).toBeLessThanOrEqual(
      parity.tolerance,
    );
  });

  it('records the measured difference and a tolerance in both manifests', () => {
    for (const m of [generator.manifest, generator.srManifest]) {
      expect(m.parity.onnxVsTorchMaxAbsDiff).toBeLessThanOrEqual(m.parity.tolerance);
      expect(m.bytes).toBeLessThan(20 * 1024 * 1024);
    }
  });
});
