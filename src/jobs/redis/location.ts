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
