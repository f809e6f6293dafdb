import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

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
 * A connection for commands, blocking reads or a subscriber. `maxRetriesPerRequest: null`
 * (BullMQ's requirement for workers) keeps commands waiting through a Redis restart instead
 * of failing them.
 */
export function connectRedis(url: string, name: string): Redis {
  const options: RedisOptions = { maxRetriesPerRequest: null, connectionName: name };
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
