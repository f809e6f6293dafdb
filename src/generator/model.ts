import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { throwIfAborted } from '../core/index.ts';
import {
  type ExecutionProvider,
  InferenceError,
  loadOnnxSession,
  type OnnxSession,
  type TensorInfo,
} from '../inference/index.ts';
import { GeneratorError } from './errors.ts';
import { GENERATOR_IN_CHANNELS, SR_FACTOR } from './layout.ts';
import {
  type GeneratorManifest,
  generatorManifestSchema,
  readManifest,
  type SrManifest,
  srManifestSchema,
} from './manifest.ts';
import { GeneratorStream, type GeneratorStreamOptions } from './stream.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The generator shipped in this repository. */
export const DEFAULT_GENERATOR_MODEL_DIR = resolve(here, '../../models/generator');
/** The super-resolution model shipped in this repository. */
export const DEFAULT_SR_MODEL_DIR = resolve(here, '../../models/sr');

/** Options for {@link Generator.load}; defaults in {@link GENERATOR_LOAD_DEFAULTS}. */
export interface GeneratorLoadOptions {
  /** Folder with the generator's `manifest.json` and ONNX file. Default: the shipped `models/generator`. */
  modelDir?: string;
  /** Folder with the SR model's `manifest.json` and ONNX file. Default: the shipped `models/sr`. */
  srDir?: string;
  /** Execution providers to try. Default `'auto'`: cuda (if installed) → webgpu → cpu. */
  executionProviders?: 'auto' | readonly ExecutionProvider[];
  /** onnxruntime intra-op threads. Default 0 (onnxruntime's choice: one per core). */
  threads?: number;
  /** Check the ONNX files' sha256 against the manifests. Default true. */
  verifyChecksum?: boolean;
  signal?: AbortSignal;
}

export const GENERATOR_LOAD_DEFAULTS = Object.freeze({
  executionProviders: 'auto' as const,
  threads: 0,
  verifyChecksum: true,
});

/**
 * The generator and its super-resolution model: two shared onnxruntime sessions and their
 * manifests. Load one per process and open a {@link GeneratorStream} per video/session.
 *
 * @example
 * const generator = await Generator.load();
 * const stream = generator.createStream({ seed: 1 });
 * for (const frame of renderedFrames) for (const out of await stream.push(frame)) await writer.writeFrame(out.data);
 * for (const out of await stream.flush()) await writer.writeFrame(out.data);
 * stream.close();
 * await generator.close();
 */
export class Generator {
  readonly manifest: GeneratorManifest;
  readonly srManifest: SrManifest;
  readonly session: OnnxSession;
  readonly srSession: OnnxSession;
  #closed = false;

  private constructor(
    manifest: GeneratorManifest,
    srManifest: SrManifest,
    session: OnnxSession,
    srSession: OnnxSession,
  ) {
    this.manifest = manifest;
    this.srManifest = srManifest;
    this.session = session;
    this.srSession = srSession;
  }

  static async load(options: GeneratorLoadOptions = {}): Promise<Generator> {
    const o = { ...GENERATOR_LOAD_DEFAULTS, ...options };
    const dir = o.modelDir ?? DEFAULT_GENERATOR_MODEL_DIR;
    const srDir = o.srDir ?? DEFAULT_SR_MODEL_DIR;
    const manifest = await readManifest(join(dir, 'manifest.json'), generatorManifestSchema);
    const srManifest = await readManifest(join(srDir, 'manifest.json'), srManifestSchema);
    if (srManifest.config.baseSize !== manifest.config.baseSize) {
      throw new GeneratorError(
        'GENERATOR_MODEL_INVALID',
        `SR model upsamples from ${srManifest.config.baseSize} px, the generator makes ${manifest.config.baseSize} px`,
      );
    }
    const sessions: OnnxSession[] = [];
    try {
      for (const [folder, m] of [
        [dir, manifest],
        [srDir, srManifest],
      ] as const) {
        const path = join(folder, m.file);
        if (o.verifyChecksum) await verify(path, m.sha256);
        throwIfAborted(o.signal);
        sessions.push(await openSession(path, o));
      }
      const [session, srSession] = sessions as [OnnxSession, OnnxSession];
      const generator = new Generator(manifest, srManifest, session, srSession);
      generator.#checkContract();
      return generator;
    } catch (error) {
      for (const s of sessions) await s.close();
      throw error;
    }
  }

  /** Crop side the generator works at, px. */
  get baseSize(): number {
    return this.manifest.config.baseSize;
  }

  /** The generator session's execution provider (the SR session reports its own). */
  get executionProvider(): ExecutionProvider {
    return this.session.executionProvider;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A stream with its own context and noise (one per video / live session). */
  createStream(options: GeneratorStreamOptions = {}): GeneratorStream {
    if (this.#closed) throw new GeneratorError('GENERATOR_CLOSED', 'the generator is closed');
    return new GeneratorStream(this, options);
  }

  /**
   * Median wall time of one generated frame (all sampler steps + SR, windows of one frame) on
   * this machine and provider, from `iterations` runs on a blank frame after one warm-up.
   */
  async probeFrameMs(options: { iterations?: number; signal?: AbortSignal } = {}): Promise<number> {
    const n = this.baseSize;
    const m = n * SR_FACTOR;
    const gen = this.session.createRunner({
      inputs: { slots: { type: 'float32', shape: [1, 2, GENERATOR_IN_CHANNELS, n, n] } },
      outputs: { x0: { type: 'float32', shape: [1, 2, 3, n, n] } },
    });
    const sr = this.srSession.createRunner({
      inputs: {
        composite: { type: 'float32', shape: [1, 3, m, m] },
        disocclusion: { type: 'float32', shape: [1, 1, m, m] },
        base: { type: 'float32', shape: [1, 3, n, n] },
      },
      outputs: { residual: { type: 'float32', shape: [1, 3, m, m] } },
    });
    const times: number[] = [];
    const iterations = options.iterations ?? 3;
    for (let i = 0; i <= iterations; i++) {
      const t0 = performance.now();
      for (let s = 0; s < this.manifest.config.sampler.steps; s++)
        await gen.run({ signal: options.signal });
      await sr.run({ signal: options.signal });
      if (i > 0) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1] as number;
  }

  /** Releases both sessions (idempotent). Streams on this generator stop working. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.session.close();
    await this.srSession.close();
  }

  toJSON() {
    return {
      generator: { version: this.manifest.version, ...this.session.toJSON() },
      sr: { version: this.srManifest.version, ...this.srSession.toJSON() },
      baseSize: this.baseSize,
      sampler: this.manifest.config.sampler,
    };
  }

  /** The graphs must take what the stream feeds: names, ranks and fixed sizes. */
  #checkContract(): void {
    const n = this.baseSize;
    const m = n * SR_FACTOR;
    check(this.session.path, this.session.inputs, { slots: [-1, -1, GENERATOR_IN_CHANNELS, n, n] });
    check(this.session.path, this.session.outputs, { x0: [-1, -1, 3, n, n] });
    check(this.srSession.path, this.srSession.inputs, {
      composite: [-1, 3, m, m],
      disocclusion: [-1, 1, m, m],
      base: [-1, 3, n, n],
    });
    check(this.srSession.path, this.srSession.outputs, { residual: [-1, 3, m, m] });
  }
}

async function verify(path: string, sha256: string): Promise<void> {
  const bytes = await readFile(path).catch((cause) => {
    throw new GeneratorError('GENERATOR_MODEL_MISSING', `model file missing: ${path}`, { cause });
  });
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== sha256) {
    throw new GeneratorError(
      'GENERATOR_MODEL_INVALID',
      `${path}: sha256 ${sha.slice(0, 12)}… does not match the manifest (${sha256.slice(0, 12)}…)`,
    );
  }
}

async function openSession(
  path: string,
  o: {
    executionProviders: 'auto' | readonly ExecutionProvider[];
    threads: number;
    signal?: AbortSignal;
  },
): Promise<OnnxSession> {
  try {
    return await loadOnnxSession(path, {
      executionProviders: o.executionProviders,
      intraOpThreads: o.threads,
      signal: o.signal,
    });
  } catch (error) {
    if (error instanceof InferenceError && error.code === 'MODEL_NOT_FOUND')
      throw new GeneratorError('GENERATOR_MODEL_MISSING', error.message, { cause: error });
    throw error;
  }
}

/** Dims: -1 = dynamic (any size accepted). */
function check(path: string, actual: readonly TensorInfo[], expected: Record<string, number[]>) {
  for (const [name, dims] of Object.entries(expected)) {
    const info = actual.find((t) => t.name === name);
    const ok =
      info !== undefined &&
      info.type === 'float32' &&
      info.shape.length === dims.length &&
      dims.every((d, i) => d < 0 || info.shape[i] === d);
    if (!ok) {
      throw new GeneratorError(
        'GENERATOR_MODEL_INVALID',
        `${path}: expected ${name} float32 [${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}], graph has ${info ? `${info.type} [${info.shape.join(', ')}]` : 'none'}`,
      );
    }
  }
}
