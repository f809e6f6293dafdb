/**
 * Checks the ONNX face models (models/face-landmarks) and the body model (models/movenet)
 * against the tfjs originals they were converted from: the same seeded random input through
 * tfjs (WASM backend, as Human runs them) and through onnxruntime (src/inference), reporting
 * the largest absolute difference per output.
 *
 *   node --import tsx scripts/face/check-conversion.ts [--models models/face-landmarks] [--movenet models/movenet] [--write]
 *
 * Exits 1 when an output differs by more than 1e-3 (relative to its range). `--write` records
 * the differences in each manifest (`conversion.parity`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { loadOnnxSession } from '../../src/inference/index.ts';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'models/face-landmarks' },
    movenet: { type: 'string', default: 'models/movenet' },
    write: { type: 'boolean', default: false },
  },
});
const humanModels = join(dirname(dirname(require.resolve('@vladmandic/human'))), 'models');

/** Each model: its tfjs file in Human's folder, input side and batch, ONNX folder and file. */
const MODELS = [
  { name: 'blazeface', size: 256, batch: 1, dir: values.models, file: 'blazeface', int: false },
  { name: 'facemesh', size: 192, batch: 1, dir: values.models, file: 'facemesh', int: false },
  { name: 'iris', size: 64, batch: 2, dir: values.models, file: 'iris', int: false },
  // MoveNet takes int32 pixels 0–255
  {
    name: 'movenet-lightning',
    size: 192,
    batch: 1,
    dir: values.movenet,
    file: 'movenet',
    int: true,
  },
] as const;

async function tfjsModel(name: string) {
  const json = JSON.parse(await readFile(join(humanModels, `${name}.json`), 'utf8'));
  const shards: Buffer[] = [];
  const specs = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) shards.push(await readFile(join(humanModels, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
await tf.setBackend('wasm');
let failed = false;
const parity: Record<string, Record<string, { maxAbsDiff: number; maxAbsValue: number }>> = {};
for (const m of MODELS) {
  const dims = [m.batch, m.size, m.size, 3];
  const uniform = seeded(
    dims.reduce((a, b) => a * b, 1),
    42,
  );
  const input = m.int ? Int32Array.from(uniform, (v) => Math.floor(v * 256)) : uniform;
  const model = await tfjsModel(m.name);
  const outs = model.execute(tf.tensor(input, dims, m.int ? 'int32' : 'float32')) as
    | tf.Tensor
    | tf.Tensor[];
  const ref = (Array.isArray(outs) ? outs : [outs]).map((t) => ({
    shape: t.shape,
    data: t.dataSync(),
  }));
  const session = await loadOnnxSession(join(m.dir, `${m.file}.onnx`), {
    executionProviders: ['cpu'],
  });
  const got = await session.run({ [session.inputs[0]?.name ?? 'input']: { data: input, dims } });
  for (const r of ref) {
    const size = r.data.length;
    const match = Object.entries(got).find(([, t]) => t.data.length === size);
    if (!match) throw new Error(`${m.name}: no ONNX output of ${size} values`);
    const [name, t] = match;
    let maxDiff = 0;
    let range = 0;
    for (let i = 0; i < size; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((t.data[i] as number) - (r.data[i] as number)));
      range = Math.max(range, Math.abs(r.data[i] as number));
    }
    const ok = maxDiff <= 1e-3 * Math.max(1, range);
    failed ||= !ok;
    parity[m.file] = {
      ...parity[m.file],
      [name]: {
        maxAbsDiff: Number(maxDiff.toPrecision(3)),
        maxAbsValue: Number(range.toPrecision(4)),
      },
    };
    console.log(
      `${m.name} ${name} [${r.shape.join('×')}]: max |Δ| ${maxDiff.toExponential(2)} (max |value| ${range.toFixed(2)}) ${ok ? 'ok' : 'MISMATCH'}`,
    );
  }
  await session.close();
}
if (values.write && !failed) {
  for (const dir of [values.models, values.movenet]) {
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    const names = Object.keys(manifest.models as object);
    manifest.conversion.parity = {
      ...manifest.conversion.parity,
      method:
        'seeded uniform input ([0, 1) floats; MoveNet: integers 0–255), tfjs 4.22 WASM backend vs onnxruntime-node CPU',
      ...Object.fromEntries(names.map((n) => [n, parity[n]])),
    };
    await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
