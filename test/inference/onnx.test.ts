import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cudaBinariesInstalled,
  InferenceError,
  loadOnnxSession,
  vulkanLoaderInstalled,
} from '../../src/inference/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';

const AFFINE = fixture('inference/affine.onnx');
/** y = x @ [[1,2],[3,4],[5,6]] + [0.5, -0.5] */
const affine = (x: number[]) => [
  (x[0] ?? 0) + 3 * (x[1] ?? 0) + 5 * (x[2] ?? 0) + 0.5,
  2 * (x[0] ?? 0) + 4 * (x[1] ?? 0) + 6 * (x[2] ?? 0) - 0.5,
];

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('loadOnnxSession', () => {
  it('runs a model on the requested provider and describes its inputs and outputs', async () => {
    const session = await loadOnnxSession(AFFINE, { executionProviders: ['cpu'] });
    expect(session.executionProvider).toBe('cpu');
    expect(session.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['n', 3] }]);
    expect(session.outputs).toEqual([{ name: 'y', type: 'float32', shape: ['n', 2] }]);
    const out = await session.run({
      x: { data: Float32Array.from([1, 0, 0, 0, 1, 2]), dims: [2, 3] },
    });
    expect(out.y?.dims).toEqual([2, 2]);
    expect(Array.from((out.y?.data ?? []) as Float32Array)).toEqual([
      ...affine([1, 0, 0]),
      ...affine([0, 1, 2]),
    ]);
    await session.close();
  });

  it("falls back through 'auto' to a provider that works and says why it skipped the others", async () => {
    const session = await loadOnnxSession(AFFINE, { executionProviders: 'auto' });
    const skipped = session.fallbacks.map((f) => f.provider);
    expect(['cuda', 'webgpu', 'cpu']).toContain(session.executionProvider);
    // Everything before the chosen provider was tried and skipped with a reason.
    const order = ['cuda', 'webgpu', 'cpu'];
    expect(skipped).toEqual(order.slice(0, order.indexOf(session.executionProvider)));
    for (const f of session.fallbacks) expect(f.reason.length).toBeGreaterThan(5);
    if (!cudaBinariesInstalled())
      expect(session.fallbacks[0]?.reason).toMatch(/libonnxruntime_providers_cuda|not installed/);
    // Without the Vulkan loader webgpu is skipped before Dawn can print to stderr.
    if (!vulkanLoaderInstalled())
      expect(session.fallbacks.find((f) => f.provider === 'webgpu')?.reason).toMatch(
        /libvulkan\.so\.1 not found/,
      );
    expect(session.toJSON().executionProvider).toBe(session.executionProvider);
    await session.close();
  });

  it('shares one session per model file and disposes it with the last handle', async () => {
    const a = await loadOnnxSession(AFFINE, { executionProviders: ['cpu'] });
    const b = await loadOnnxSession(AFFINE, { executionProviders: ['cpu'] });
    await a.close();
    await a.close(); // idempotent
    const out = await b.run({ x: { data: Float32Array.from([1, 1, 1]), dims: [1, 3] } });
    expect(Array.from((out.y?.data ?? []) as Float32Array)).toEqual(affine([1, 1, 1]));
    await expect(a.run({ x: { data: new Float32Array(3), dims: [1, 3] } })).rejects.toMatchObject({
      code: 'SESSION_CLOSED',
    });
    await b.close();
  });

  it('reports a missing file and a file that is not a model with their own codes', async () => {
    await expect(loadOnnxSession(join(dir, 'nope.onnx'))).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      kind: 'not-found',
    });
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'this is not an onnx model');
    const error = await loadOnnxSession(junk, { executionProviders: ['cpu'] }).catch((e) => e);
    expect(error).toBeInstanceOf(InferenceError);
    expect(error.code).toBe('MODEL_INVALID');
  });

  it('wraps onnxruntime run errors (wrong shape) as INFERENCE_FAILED', async () => {
    const session = await loadOnnxSession(AFFINE, { executionProviders: ['cpu'] });
    await expect(
      session.run({ x: { data: new Float32Array(4), dims: [1, 4] } }),
    ).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await session.close();
  });
});

describe('OnnxRunner', () => {
  it('runs from preallocated buffers at any leading part of its capacity', async () => {
    const session = await loadOnnxSession(AFFINE, { executionProviders: ['cpu'] });
    const runner = session.createRunner({
      inputs: { x: { type: 'float32', shape: [4, 3] } },
      outputs: { y: { type: 'float32', shape: [4, 2] } },
    });
    const x = runner.input('x') as Float32Array;
    const y = runner.output('y') as Float32Array;
    x.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 1]);
    await runner.run();
    expect([...y]).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 1].reduce<number[]>((acc, _, i, all) => {
        if (i % 3 === 0) acc.push(...affine(all.slice(i, i + 3)));
        return acc;
      }, []),
    );
    // A smaller call reuses the same buffers: only the first row is computed.
    y.fill(-1);
    x.set([2, 0, 0]);
    await runner.run({ dims: { x: [1, 3], y: [1, 2] } });
    expect([...y.subarray(0, 2)]).toEqual(affine([2, 0, 0]));
    expect(y[2]).toBe(-1);
    expect(() => runner.input('nope')).toThrow(RangeError);
    await expect(runner.run({ dims: { x: [5, 3], y: [5, 2] } })).rejects.toThrow(/capacity/);
    await session.close();
  });
});
