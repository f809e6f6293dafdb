import { z } from 'zod';
import { redisUrlSchema } from '../jobs/index.ts';
import { ConfigError } from './errors.ts';
import { normaliseOrigin } from './origin.ts';

/**
 * Server configuration: defaults, overridden by environment variables (`FACECAST_*`),
 * overridden by CLI flags. Validated here, once, at start-up.
 */
export const serverConfigSchema = z
  .object({
    /** TCP port; 0 picks a free one. Default 8080. */
    port: z.number().int().min(0).max(65_535).default(8080),
    /** Interface to bind. Default 127.0.0.1. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Where avatars and jobs live (created if missing). Default `./data`. */
    dataDir: z.string().min(1).default('data'),
    /** API keys; none (the default) means no authentication. Each at least 16 characters. */
    apiKeys: z.array(z.string().min(16, 'API keys must have at least 16 characters')).default([]),
    /**
     * `redis://host:port`: jobs go to a Redis-backed queue run by `facecast worker` processes
     * (which share `dataDir`). Default: none, the embedded queue runs jobs in this process.
     */
    queue: redisUrlSchema.optional(),
    /** Video jobs rendered at once. Default 1 (a render uses about one core and a half). */
    concurrency: z.number().int().min(1).max(16).default(1),
    /** Jobs waiting beyond this are refused with 503 QUEUE_FULL. Default 100. */
    maxQueued: z.number().int().min(1).max(10_000).default(100),
    /** Largest photo upload, bytes. Default 15 MiB. */
    maxPhotoBytes: z
      .number()
      .int()
      .positive()
      .default(15 * 1024 ** 2),
    /** Largest audio upload, bytes. Default 64 MiB. */
    maxAudioBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 ** 2),
    /** Longest speech (uploaded or synthesised), ms. Default 10 minutes. */
    maxAudioMs: z.number().int().positive().default(600_000),
    /** Largest video upload (lip-sync translation), bytes. Default 128 MiB. */
    maxVideoBytes: z
      .number()
      .int()
      .positive()
      .default(128 * 1024 ** 2),
    /** Longest video to dub, ms. Default 10 minutes. */
    maxVideoMs: z.number().int().positive().default(600_000),
    /**
     * Origins (`https://app.example.com`) besides the server's own that may send
     * state-changing requests from a browser (they get CORS headers). Default none.
     */
    allowedOrigins: z
      .array(
        z.string().refine((o) => {
          try {
            return normaliseOrigin(o).length > 0;
          } catch {
            return false;
          }
        }, 'must be an origin such as https://app.example.com'),
      )
      .default([]),
    /**
     * Host names the server answers to besides those of `host` (DNS names, a proxy's name).
     * Loopback binds answer to localhost/127.0.0.1/::1 only; a wildcard bind with none set
     * checks no Host.
     */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Uploads received at once; more answer 503 UPLOADS_BUSY (Retry-After). Default 8. */
    maxUploads: z.number().int().min(1).max(1000).default(8),
    /** Finished jobs are deleted after this many hours; 0 keeps them. Default 24. */
    retentionHours: z.number().min(0).default(24),
    /** A folder of static files served at `/` (the browser client). Default: none. */
    clientDir: z.string().min(1).optional(),
  })
  .strict();

export type ServerConfig = z.output<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

const ENV: Record<string, keyof ServerConfigInput> = {
  FACECAST_PORT: 'port',
  FACECAST_HOST: 'host',
  FACECAST_DATA_DIR: 'dataDir',
  FACECAST_QUEUE: 'queue',
  FACECAST_API_KEYS: 'apiKeys',
  FACECAST_CONCURRENCY: 'concurrency',
  FACECAST_MAX_QUEUED: 'maxQueued',
  FACECAST_MAX_PHOTO_BYTES: 'maxPhotoBytes',
  FACECAST_MAX_AUDIO_BYTES: 'maxAudioBytes',
  FACECAST_MAX_AUDIO_MS: 'maxAudioMs',
  FACECAST_MAX_VIDEO_BYTES: 'maxVideoBytes',
  FACECAST_MAX_VIDEO_MS: 'maxVideoMs',
  FACECAST_MAX_UPLOADS: 'maxUploads',
  FACECAST_ALLOWED_ORIGINS: 'allowedOrigins',
  FACECAST_ALLOWED_HOSTS: 'allowedHosts',
  FACECAST_RETENTION_HOURS: 'retentionHours',
  FACECAST_CLIENT_DIR: 'clientDir',
};
const NUMERIC = new Set<string>([
  'port',
  'concurrency',
  'maxQueued',
  'maxPhotoBytes',
  'maxAudioBytes',
  'maxAudioMs',
  'maxVideoBytes',
  'maxVideoMs',
  'maxUploads',
  'retentionHours',
]);

/** Reads the `FACECAST_*` variables into a partial config (strings converted, not validated). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ServerConfigInput> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (key === 'apiKeys' || key === 'allowedOrigins' || key === 'allowedHosts') {
      out[key] = raw
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
    } else out[key] = NUMERIC.has(key) ? Number(raw) : raw;
  }
  return out as Partial<ServerConfigInput>;
}

/** Merges defaults ← environment ← explicit values and validates. */
export function resolveServerConfig(
  explicit: Partial<ServerConfigInput> = {},
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined));
  const result = serverConfigSchema.safeParse({ ...configFromEnv(env), ...defined });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      `invalid server configuration: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/**
 * `facecast worker` configuration: defaults, overridden by `FACECAST_*` variables, overridden
 * by flags. A worker serves the queue at `queue` and shares `dataDir` with the API nodes.
 */
export const workerConfigSchema = z
  .object({
    /** `redis://host:port` of the queue (the API nodes' `--queue`). Required. */
    queue: redisUrlSchema,
    /** The data folder shared with the API nodes (jobs live in `<dataDir>/jobs`). Default `./data`. */
    dataDir: z.string().min(1).default('data'),
    /** Jobs run at once; default from this host's cores (see `defaultWorkerConcurrency`). */
    concurrency: z.number().int().min(1).max(16).optional(),
    /** Runs started per job before it fails (worker deaths, unexpected errors). Default 3. */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** A run's lock, ms: a worker silent this long loses its jobs to others. Default 30 000. */
    lockMs: z.number().int().min(1000).max(600_000).default(30_000),
    /** Longest speech, ms (as the API's). Default 10 minutes. */
    maxAudioMs: z.number().int().positive().default(600_000),
    /** Longest video to dub, ms (as the API's). Default 10 minutes. */
    maxVideoMs: z.number().int().positive().default(600_000),
  })
  .strict();

export type WorkerConfig = z.output<typeof workerConfigSchema>;
export type WorkerConfigInput = z.input<typeof workerConfigSchema>;

const WORKER_ENV: Record<string, keyof WorkerConfigInput> = {
  FACECAST_QUEUE: 'queue',
  FACECAST_DATA_DIR: 'dataDir',
  FACECAST_WORKER_CONCURRENCY: 'concurrency',
  FACECAST_MAX_ATTEMPTS: 'maxAttempts',
  FACECAST_WORKER_LOCK_MS: 'lockMs',
  FACECAST_MAX_AUDIO_MS: 'maxAudioMs',
  FACECAST_MAX_VIDEO_MS: 'maxVideoMs',
};

/** Merges defaults ← environment ← explicit values and validates (ConfigError names the field). */
export function resolveWorkerConfig(
  explicit: Partial<WorkerConfigInput> = {},
  env: NodeJS.ProcessEnv = process.env,
): WorkerConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(WORKER_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    fromEnv[key] = key === 'queue' || key === 'dataDir' ? raw : Number(raw);
  }
  const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined));
  const result = workerConfigSchema.safeParse({ ...fromEnv, ...defined });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      `invalid worker configuration: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      { cause: result.error },
    );
  }
  return result.data;
}
