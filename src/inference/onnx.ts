/**
 * The one module that imports onnxruntime-node. Sessions are created once per model file and
 * shared (reference counted); each stream gets an {@link OnnxRunner} with preallocated typed
 * arrays. Execution providers are tried in order — `cuda` (only when its provider library is
 * installed next to the binding), `webgpu` (bundled on Linux x64; needs a GPU adapter), `cpu` —
 * and the session reports which one it got and why the others were skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { throwIfAborted } from '../core/index.ts';
import { InferenceError } from './errors.ts';

export const EXECUTION_PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Options for {@link loadOnnxSession}. */
export interface OnnxSessionOptions {
  /**
   * Providers to try, in order. Default `'auto'`: `cuda` (if its binaries are installed) →
   * `webgpu` → `cpu`. Small per-frame models (motion) are faster on `['cpu']`.
   */
  executionProviders?: 'auto' | readonly ExecutionProvider[];
  /** Threads onnxruntime may use inside one operator. Default 0: onnxruntime's choice (one per core). */
  intraOpThreads?: number;
  signal?: AbortSignal;
}

/** Why a provider earlier in the list was not used. */
export interface ProviderFallback {
  provider: ExecutionProvider;
  reason: string;
}

/** Name, element type and shape (numbers, or names of dynamic axes) of a model input/output. */
export interface TensorInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

export type HostArray = Float32Array | Int32Array | BigInt64Array | Uint8Array;
export type TensorType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

/** A tensor in host memory: row-major data and its dimensions. */
export interface HostTensor {
  data: HostArray;
  dims: readonly number[];
}

interface Loaded {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  fallbacks: ProviderFallback[];
}
interface CacheEntry {
  loaded: Promise<Loaded>;
  refs: number;
}

const cache = new Map<string, CacheEntry>();
/** Provider failures that do not depend on the model (no GPU adapter, missing library). */
const providerDown = new Map<ExecutionProvider, string>();

/**
 * Loads (or reuses) the session for a model file. Calls with the same file, providers and
 * thread count share one onnxruntime session; each returned handle must be closed.
 *
 * @example
 * const model = await loadOnnxSession('models/motion/motion.onnx', { executionProviders: ['cpu'] });
 * console.log(model.executionProvider); // 'cpu'
 * await model.close();
 */
export async function loadOnnxSession(
  path: string,
  options: OnnxSessionOptions = {},
): Promise<OnnxSession> {
  throwIfAborted(options.signal);
  const file = await resolveModelFile(path);
  const order = options.executionProviders ?? 'auto';
  const providers = order === 'auto' ? EXECUTION_PROVIDERS : order;
  if (providers.length === 0)
    throw new InferenceError('EXECUTION_PROVIDER_UNAVAILABLE', 'no execution provider requested');
  const threads = options.intraOpThreads ?? 0;
  const key = JSON.stringify([file, providers, threads]);
  let entry = cache.get(key);
  if (!entry) {
    entry = { loaded: createSession(file, providers, threads), refs: 0 };
    cache.set(key, entry);
    entry.loaded.catch(() => cache.delete(key));
  }
  entry.refs++;
  try {
    const loaded = await entry.loaded;
    throwIfAborted(options.signal);
    return new OnnxSession(file, key, loaded);
  } catch (error) {
    release(key);
    throw error;
  }
}

/** A shared session handle. `close()` releases this handle; the last one disposes the session. */
export class OnnxSession {
  readonly path: string;
  /** The provider the session was created with. */
  readonly executionProvider: ExecutionProvider;
  /** Providers tried before it, with the reason each was skipped. */
  readonly fallbacks: readonly ProviderFallback[];
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly #key: string;
  readonly #session: ort.InferenceSession;
  #closed = false;

  /** @internal Use {@link loadOnnxSession}. */
  constructor(path: string, key: string, loaded: Loaded) {
    this.path = path;
    this.#key = key;
    this.#session = loaded.session;
    this.executionProvider = loaded.provider;
    this.fallbacks = loaded.fallbacks;
    this.inputs = describe(loaded.session.inputNames, loaded.session.inputMetadata);
    this.outputs = describe(loaded.session.outputNames, loaded.session.outputMetadata);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs the model once. Allocates its outputs; streams should use {@link createRunner}. */
  async run(
    feeds: Record<string, HostTensor>,
    options: { signal?: AbortSignal } = {},
  ): Promise<Record<string, HostTensor>> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = toOrt(t);
    const result = await this.runOrt(inputs, undefined, options.signal);
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(result))
      out[name] = { data: t.data as HostArray, dims: t.dims };
    return out;
  }

  /** @internal Runs with onnxruntime tensors (used by {@link OnnxRunner}). */
  async runOrt(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ort.InferenceSession.ReturnType> {
    if (this.#closed) throw new InferenceError('SESSION_CLOSED', `${this.path}: session is closed`);
    throwIfAborted(signal);
    try {
      return fetches
        ? await this.#session.run(feeds, fetches as ort.InferenceSession.FetchesType)
        : await this.#session.run(feeds);
    } catch (cause) {
      throw new InferenceError('INFERENCE_FAILED', `${this.path}: ${firstLine(cause)}`, { cause });
    }
  }

  /** A per-stream runner whose inputs and outputs live in preallocated typed arrays. */
  createRunner(spec: RunnerSpec): OnnxRunner {
    if (this.#closed) throw new InferenceError('SESSION_CLOSED', `${this.path}: session is closed`);
    return new OnnxRunner(this, spec);
  }

  /** Releases this handle (idempotent). The session is disposed when its last handle closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await release(this.#key);
  }

  toJSON(): { path: string; executionProvider: ExecutionProvider; fallbacks: ProviderFallback[] } {
    return {
      path: this.path,
      executionProvider: this.executionProvider,
      fallbacks: [...this.fallbacks],
    };
  }
}

/** Capacity shapes of a runner's tensors: the largest dims each run may use. */
export interface RunnerSpec {
  inputs: Record<string, { type: TensorType; shape: readonly number[] }>;
  outputs: Record<string, { type: TensorType; shape: readonly number[] }>;
}

/**
 * Preallocated inputs/outputs for one stream. Write into `input(name)`, call `run()` with the
 * dims of this call (any leading part of the capacity), read `output(name)`. Tensor views are
 * cached per shape, so steady-state runs allocate nothing on the JavaScript side.
 *
 * @example
 * const runner = session.createRunner({ inputs: { x: { type: 'float32', shape: [1, 8] } }, outputs: { y: { type: 'float32', shape: [1, 2] } } });
 * runner.input('x').set(features);
 * await runner.run();
 * const y = runner.output('y');
 */
export class OnnxRunner {
  readonly #session: OnnxSession;
  readonly #buffers = new Map<string, { type: TensorType; data: HostArray; shape: number[] }>();
  readonly #outputNames: string[];
  readonly #views = new Map<string, ort.Tensor>();

  constructor(session: OnnxSession, spec: RunnerSpec) {
    this.#session = session;
    for (const [name, s] of [...Object.entries(spec.inputs), ...Object.entries(spec.outputs)]) {
      const size = s.shape.reduce((a, b) => a * b, 1);
      this.#buffers.set(name, { type: s.type, data: allocate(s.type, size), shape: [...s.shape] });
    }
    this.#outputNames = Object.keys(spec.outputs);
  }

  /** The whole preallocated input buffer (row-major at the capacity shape's trailing dims). */
  input(name: string): HostArray {
    return this.#buffer(name).data;
  }

  /** The whole preallocated output buffer; valid after `run()`. */
  output(name: string): HostArray {
    return this.#buffer(name).data;
  }

  /**
   * Runs with the given dims per tensor (default: the capacity shape). Data for a tensor of
   * dims `d` is the first `prod(d)` values of its buffer.
   */
  async run(options: { dims?: Record<string, readonly number[]>; signal?: AbortSignal } = {}) {
    const feeds: Record<string, ort.Tensor> = {};
    const fetches: Record<string, ort.Tensor> = {};
    for (const [name, buffer] of this.#buffers) {
      const dims = options.dims?.[name] ?? buffer.shape;
      const target = this.#outputNames.includes(name) ? fetches : feeds;
      target[name] = this.#view(name, buffer, dims);
    }
    await this.#session.runOrt(feeds, fetches, options.signal);
  }

  #buffer(name: string) {
    const b = this.#buffers.get(name);
    if (!b) throw new RangeError(`runner has no tensor named "${name}"`);
    return b;
  }

  #view(name: string, buffer: { type: TensorType; data: HostArray }, dims: readonly number[]) {
    const key = `${name}:${dims.join('x')}`;
    let view = this.#views.get(key);
    if (!view) {
      const size = dims.reduce((a, b) => a * b, 1);
      if (size > buffer.data.length)
        throw new RangeError(`${name}: dims ${dims.join('×')} exceed the runner's capacity`);
      view = new ort.Tensor(buffer.type, buffer.data.subarray(0, size), dims);
      this.#views.set(key, view);
    }
    return view;
  }
}

/** Whether onnxruntime-node's CUDA provider library is installed next to the binding. */
export function cudaBinariesInstalled(): boolean {
  return existsSync(join(bindingDir(), cudaLibraryName()));
}

const VULKAN_LOADER = 'libvulkan.so.1';
let vulkanFound: boolean | undefined;

/**
 * Whether the Vulkan loader that onnxruntime-node's webgpu provider (Dawn) needs on Linux can
 * be found: in LD_LIBRARY_PATH, the usual library folders, or the dynamic linker's cache.
 * Checked before trying webgpu, because Dawn prints "Couldn't load Vulkan" to stderr itself
 * when it is missing. Other platforms: true (let onnxruntime decide).
 */
export function vulkanLoaderInstalled(): boolean {
  if (process.platform !== 'linux') return true;
  if (vulkanFound !== undefined) return vulkanFound;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/lib',
    '/lib64',
    '/usr/lib',
    '/usr/lib64',
    '/usr/local/lib',
    `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
  ];
  vulkanFound = dirs.some((d) => existsSync(join(d, VULKAN_LOADER)));
  if (!vulkanFound) {
    try {
      vulkanFound = readFileSync('/etc/ld.so.cache').includes(VULKAN_LOADER);
    } catch {
      vulkanFound = false;
    }
  }
  return vulkanFound;
}

async function createSession(
  file: string,
  providers: readonly ExecutionProvider[],
  threads: number,
): Promise<Loaded> {
  const fallbacks: ProviderFallback[] = [];
  let lastError: unknown;
  for (const provider of providers) {
    const down =
      provider === 'cuda' && !cudaBinariesInstalled()
        ? `${cudaLibraryName()} is not installed (onnxruntime-node's install script fetches it; installs here skip it)`
        : provider === 'webgpu' && !vulkanLoaderInstalled()
          ? `${VULKAN_LOADER} not found (the webgpu provider needs the Vulkan loader; see docs/gpu.md)`
          : providerDown.get(provider);
    if (down) {
      fallbacks.push({ provider, reason: down });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(file, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
      });
      return { session, provider, fallbacks };
    } catch (error) {
      lastError = error;
      const reason = firstLine(error);
      fallbacks.push({ provider, reason });
      if (provider !== 'cpu' && /adapter|shared library|providers_/i.test(reason))
        providerDown.set(provider, reason);
    }
  }
  if (providers.includes('cpu') && fallbacks.at(-1)?.provider === 'cpu') {
    throw new InferenceError(
      'MODEL_INVALID',
      `${file}: not a loadable ONNX model: ${firstLine(lastError)}`,
      {
        cause: lastError,
      },
    );
  }
  throw new InferenceError(
    'EXECUTION_PROVIDER_UNAVAILABLE',
    `${file}: no execution provider could run it (${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')})`,
    { details: { fallbacks } },
  );
}

async function release(key: string): Promise<void> {
  const entry = cache.get(key);
  if (!entry) return;
  entry.refs--;
  if (entry.refs > 0) return;
  cache.delete(key);
  const loaded = await entry.loaded.catch(() => undefined);
  await loaded?.session.release();
}

async function resolveModelFile(path: string): Promise<string> {
  try {
    const file = await realpath(path);
    if (!(await stat(file)).isFile())
      throw new InferenceError('MODEL_INVALID', `${path} is not a file`);
    return file;
  } catch (error) {
    if (error instanceof InferenceError) throw error;
    throw new InferenceError('MODEL_NOT_FOUND', `model file not found: ${path}`, { cause: error });
  }
}

function describe(
  names: readonly string[],
  metadata: readonly ort.InferenceSession.ValueMetadata[],
): TensorInfo[] {
  return names.map((name, i) => {
    const m = metadata[i];
    if (m?.isTensor) return { name, type: m.type, shape: [...m.shape] };
    return { name, type: 'non-tensor', shape: [] };
  });
}

function toOrt(t: HostTensor): ort.Tensor {
  if (t.data instanceof Float32Array) return new ort.Tensor('float32', t.data, t.dims);
  if (t.data instanceof Int32Array) return new ort.Tensor('int32', t.data, t.dims);
  if (t.data instanceof BigInt64Array) return new ort.Tensor('int64', t.data, t.dims);
  return new ort.Tensor('uint8', t.data, t.dims);
}

function allocate(type: TensorType, size: number): HostArray {
  switch (type) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'int64':
      return new BigInt64Array(size);
    default:
      return new Uint8Array(size);
  }
}

function bindingDir(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

function cudaLibraryName(): string {
  return process.platform === 'win32'
    ? 'onnxruntime_providers_cuda.dll'
    : 'libonnxruntime_providers_cuda.so';
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? text;
}
