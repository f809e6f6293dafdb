import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { JobError } from '../errors.ts';

/** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
export const redisUrlSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a Redis URL such as redis://127.0.0.1:6379');

/** Names of everything facecast keeps in Redis start with this (plus `:`). Default `facecast`. */
export const redisPrefixSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, _ . - (at most 40)');

/** Where the Redis-backed queue lives. */
export interface RedisQueueLocation {
  /** `redis://host:port[/db]`. */
  url: string;
  /** Key and channel prefix, so several deployments can share one Redis. Default `facecast`. */
  prefix?: string;
}

export const REDIS_QUEUE_DEFAULTS = Object.freeze({ prefix: 'facecast' });

/** The BullMQ queue's name (its keys are `<prefix>:bull:jobs:…`). */
export const BULL_QUEUE_NAME = 'jobs';

/**
 * A connection for commands or a subscriber. Workers' (`waitThroughOutages`, BullMQ's
 * requirement for workers) keep commands waiting through a Redis restart; API nodes' fail
 * a command after two reconnection attempts, so a request answers QUEUE_UNAVAILABLE
 * instead of hanging.
 */
export function connectRedis(
  url: string,
  name: string,
  mode: { waitThroughOutages: boolean },
): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: mode.waitThroughOutages ? null : 2,
    connectionName: name,
  };
  const redis = new Redis(redisUrlSchema.parse(url), options);
  // ioredis reconnects by itself; the last error explains a start-up timeout.
  redis.on('error', (error: Error) => lastErrors.set(redis, error.message));
  redis.on('ready', () => lastErrors.delete(redis));
  return redis;
}

const lastErrors = new WeakMap<Redis, string>();

/** The last connection error of a connection made by {@link connectRedis}, if it is not connected. */
export function lastRedisError(redis: Redis): string | undefined {
  return lastErrors.get(redis);
}

/** An ioredis error that means Redis cannot be reached, as QUEUE_UNAVAILABLE; others unchanged. */
export function asQueueError(error: unknown): unknown {
  const name = (error as Error | undefined)?.name;
  const message = (error as Error | undefined)?.message ?? '';
  const unreachable =
    name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|ECONNREFUSED|ETIMEDOUT|ECONNRESET/.test(message);
  if (!unreachable) return error;
  return new JobError('QUEUE_UNAVAILABLE', `the job queue's Redis cannot be reached (${message})`, {
    cause: error,
  });
}

/** `: <last connection error>`, or nothing. */
export function because(redis: Redis): string {
  const error = lastRedisError(redis);
  return error ? ` (${error})` : '';
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Resolves with `promise`, or rejects with `error()` after `ms`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  error: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once every connection answers a PING; QUEUE_UNAVAILABLE after `timeoutMs` or on a refusal. */
export async function waitForRedis(
  connections: readonly Redis[],
  url: string,
  timeoutMs: number,
): Promise<void> {
  const unavailable = (cause?: unknown) =>
    new JobError(
      'QUEUE_UNAVAILABLE',
      `no answer from Redis at ${redactUrl(url)} within ${timeoutMs} ms${connections[0] ? because(connections[0]) : ''}`,
      cause === undefined ? undefined : { cause },
    );
  try {
    await withTimeout(Promise.all(connections.map((c) => c.ping())), timeoutMs, unavailable);
  } catch (error) {
    throw error instanceof JobError ? error : unavailable(error);
  }
}
