/**
 * A loaded @vladmandic/human (tfjs-wasm backend, fully offline: the models come from the npm
 * package on disk and the wasm binaries from @tensorflow/tfjs-backend-wasm). facecast itself
 * no longer runs Human (faces and body run on onnxruntime: models/face-landmarks,
 * models/movenet); the scripts use it as the reference the ONNX models are checked against
 * (human-reference.ts, movenet-reference.ts) and for face descriptors (replica-identity bench).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, Human } from '@vladmandic/human';

const require = createRequire(import.meta.url);

interface HumanModule {
  Human: new (config?: Partial<Config>) => Human;
}

let humanModule: HumanModule | undefined;
let routerRegistered = false;

/**
 * Human's Node builds are listed in its package.json "exports" without the leading "./"
 * that Node requires, so `@vladmandic/human/dist/human.node-wasm.js` cannot be imported
 * by name. Its default Node entry (`dist/human.node.js`, the tfjs-node build, which cannot
 * install here) sits in the same folder, so we resolve that entry and load its wasm sibling.
 */
function loadHumanModule(): HumanModule {
  if (!humanModule) {
    const nodeEntry = require.resolve('@vladmandic/human');
    humanModule = require(join(dirname(nodeEntry), 'human.node-wasm.js')) as HumanModule;
  }
  return humanModule;
}

/** Folder of Human's bundled models (movenet…), inside the npm package. */
function humanModelsDir(): string {
  return join(dirname(dirname(require.resolve('@vladmandic/human'))), 'models');
}

/** tfjs-backend-wasm's .wasm binaries, from its installed dist folder. */
function wasmDir(): string {
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/**
 * Node's fetch has no file:// support and tfjs has no file handler without tfjs-node, so
 * facecast registers a tfjs load router that reads `file://…/model.json` and its weight
 * shards from disk. Human's loader accepts model paths starting with `file:` unchanged.
 */
function registerFileRouter(human: Human): void {
  if (routerRegistered) return;
  routerRegistered = true;
  human.tf.io.registerLoadRouter((url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    if (typeof first !== 'string' || !first.startsWith('file://')) return null;
    const path = fileURLToPath(first);
    return {
      async load() {
        const json = JSON.parse(await readFile(path, 'utf8')) as {
          modelTopology: object;
          format?: string;
          generatedBy?: string;
          convertedBy?: string;
          signature?: object;
          userDefinedMetadata?: Record<string, unknown>;
          weightsManifest: { paths: string[]; weights: object[] }[];
        };
        const specs: object[] = [];
        const shards: Buffer[] = [];
        for (const group of json.weightsManifest) {
          specs.push(...group.weights);
          for (const shard of group.paths) shards.push(await readFile(join(dirname(path), shard)));
        }
        const all = Buffer.concat(shards);
        return {
          modelTopology: json.modelTopology,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          weightSpecs: specs,
          weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        } as never;
      },
    };
  });
}

/**
 * A loaded Human (tfjs-wasm backend, models from the npm package on disk) with `config` over
 * its offline settings. facecast uses it for the body model; scripts/face/human-reference.ts
 * uses it to record Human's own face landmarks for the parity test.
 */
export async function createHuman(config: Partial<Config>): Promise<Human> {
  const { Human: HumanClass } = loadHumanModule();
  const human = new HumanClass({
    ...config,
    wasmPath: wasmDir(),
    modelBasePath: `file://${humanModelsDir()}/`,
  } as Partial<Config>);
  registerFileRouter(human);
  await human.load();
  // Human resolves the backend lazily; do it now so the first detect() is not slower.
  await human.init();
  return human;
}
