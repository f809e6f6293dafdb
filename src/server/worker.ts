import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { FolderStorage, JobWorker } from '../jobs/index.ts';
import { VideoPipeline, type VideoPipelineOptions } from '../pipeline/index.ts';
import type { WorkerConfig } from './config.ts';
import type { ServiceJobInput, ServiceJobResult } from './context.ts';
import { loadServiceRunner, SERVICE_JOB_SCHEMAS } from './jobs.ts';

/**
 * Cores one job keeps busy on an idle host: the render loop on one thread plus an x264
 * process beside it, about one and a half (the estimate `serve --concurrency` documents too;
 * `npm run bench -- queue` reports the CPU seconds a job costs).
 */
export const CORES_PER_JOB = 1.5;

/** Jobs a worker runs at once by default: as many as its cores carry, at least one. */
export function defaultWorkerConcurrency(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / CORES_PER_JOB));
}

export interface StartWorkerOptions {
  /** Pipeline options (motion model folder, generator mode, TTS provider). */
  pipeline?: Omit<VideoPipelineOptions, 'maxDurationMs' | 'signal'>;
  /** One line per job event (started, finished, retried). Default: none. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** A started `facecast worker` and what it holds. */
export interface FacecastWorker {
  worker: JobWorker<ServiceJobInput, ServiceJobResult>;
  concurrency: number;
  /** Stops taking jobs, hands running ones back to the queue, releases the models. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a worker process's share of the Redis-backed queue: loads the same pipeline and
 * dubber as `facecast serve` and runs video and dub jobs from `config.queue`, reading inputs
 * from and writing outputs to `<dataDir>/jobs` (the folder the API nodes share).
 *
 * @example
 * const worker = await startWorker(resolveWorkerConfig({ queue: 'redis://127.0.0.1:6379' }));
 * await worker.close();
 */
export async function startWorker(
  config: WorkerConfig,
  options: StartWorkerOptions = {},
): Promise<FacecastWorker> {
  const { signal } = options;
  const pipeline = await VideoPipeline.load({
    ...options.pipeline,
    maxDurationMs: config.maxAudioMs,
    ...(signal ? { signal } : {}),
  });
  let service: Awaited<ReturnType<typeof loadServiceRunner>> | undefined;
  try {
    service = await loadServiceRunner(pipeline, config, signal);
    const concurrency = config.concurrency ?? defaultWorkerConcurrency();
    const worker = await JobWorker.start({
      url: config.queue,
      storage: new FolderStorage(join(resolve(config.dataDir), 'jobs')),
      ...SERVICE_JOB_SCHEMAS,
      runner: service.runner,
      concurrency,
      maxAttempts: config.maxAttempts,
      lockDurationMs: config.lockMs,
      stalledIntervalMs: Math.round(config.lockMs / 2),
      ...(options.log ? { log: options.log } : {}),
    });
    const held = service;
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await worker.close();
        await held.close();
        await pipeline.close();
      })();
      return closing;
    };
    return { worker, concurrency, close };
  } catch (error) {
    await service?.close();
    await pipeline.close();
    throw error;
  }
}
