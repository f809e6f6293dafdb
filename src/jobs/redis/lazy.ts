import type { RedisJobQueue, RedisJobQueueOptions } from './queue.ts';
import type { JobWorker, JobWorkerOptions } from './worker.ts';

// The Redis backend (bullmq, ioredis: ~1.5 s to import on a loaded machine) loads only when
// a process uses it, not with every CLI command.

/** Opens the Redis-backed queue of an API node ({@link RedisJobQueue.open}). */
export async function openRedisJobQueue<I, R>(
  options: RedisJobQueueOptions<I, R>,
): Promise<RedisJobQueue<I, R>> {
  const { RedisJobQueue } = await import('./queue.ts');
  return RedisJobQueue.open(options);
}

/** Starts a worker on the Redis-backed queue ({@link JobWorker.start}). */
export async function startJobWorker<I, R>(
  options: JobWorkerOptions<I, R>,
): Promise<JobWorker<I, R>> {
  const { JobWorker } = await import('./worker.ts');
  return JobWorker.start(options);
}
