import type { AvatarLibrary } from '../avatars/index.ts';
import type { DubJobInput, DubJobResult } from '../dub/index.ts';
import type { JobRecord, JobService } from '../jobs/index.ts';
import type { VideoJobInput, VideoJobResult } from '../pipeline/index.ts';
import type { TtsProvider } from '../tts/index.ts';
import type { ServerMetrics } from './observability.ts';

/** What the one job queue runs: videos from a script and lip-sync dubs (`kind: 'dub'`). */
export type ServiceJobInput = VideoJobInput | DubJobInput;
export type ServiceJobResult = VideoJobResult | DubJobResult;
export type ServiceJobQueue = JobService<ServiceJobInput, ServiceJobResult>;
export type ServiceJob = JobRecord<ServiceJobInput, ServiceJobResult>;

/** The services the HTTP app is built from (created and closed by the caller). */
export interface AppServices {
  /**
   * The persistent job queue (video and dub jobs share its concurrency, limits and routes):
   * the embedded on-disk one, or the Redis-backed one whose jobs `facecast worker` processes run.
   */
  jobs: ServiceJobQueue;
  /** Avatars by id. */
  avatars: AvatarLibrary;
  /** The text-to-speech provider (loaded on first use), for voices and text jobs. */
  tts: () => Promise<TtsProvider>;
  metrics: ServerMetrics;
  /** A folder for uploads in flight (each removed when its request ends). */
  uploadDir: string;
  /** The data folder (avatars, jobs, uploads); its path never appears in error messages. */
  dataDir: string;
}

/** How the app behaves; every field has a default (see {@link APP_DEFAULTS}). */
export interface AppOptions {
  /** Accepted API keys; empty (the default) disables authentication. */
  apiKeys?: readonly string[];
  /** Version reported by /healthz and the OpenAPI document. Default `0.1.0`. */
  version?: string;
  /** Largest photo upload, bytes. Default 15 MiB. */
  maxPhotoBytes?: number;
  /** Largest audio upload, bytes. Default 64 MiB. */
  maxAudioBytes?: number;
  /** Longest speech, ms. Default 10 minutes. */
  maxAudioMs?: number;
  /** Largest video upload (dubs), bytes. Default 128 MiB. */
  maxVideoBytes?: number;
  /** Longest video to dub, ms. Default 10 minutes. */
  maxVideoMs?: number;
  /** Uploads (multipart bodies) received at once; more answer 503 UPLOADS_BUSY. Default 8. */
  maxUploads?: number;
  /** Largest body of any other request (JSON), bytes. Default 64 KiB. */
  maxJsonBytes?: number;
  /** Origins besides the server's own allowed to send state-changing requests (and CORS). Default none. */
  allowedOrigins?: readonly string[];
  /** Host names the Host header may carry (DNS-rebinding guard); undefined (default) checks none. */
  allowedHosts?: readonly string[] | undefined;
  /** Where internal errors are reported. Default: one line on stderr. */
  logError?: (error: unknown, where: { method: string; path: string }) => void;
}

export const APP_DEFAULTS = Object.freeze({
  apiKeys: [] as readonly string[],
  version: '0.1.0',
  maxPhotoBytes: 15 * 1024 ** 2,
  maxAudioBytes: 64 * 1024 ** 2,
  maxAudioMs: 600_000,
  maxVideoBytes: 128 * 1024 ** 2,
  maxVideoMs: 600_000,
  maxUploads: 8,
  maxJsonBytes: 64 * 1024,
  allowedOrigins: [] as readonly string[],
  allowedHosts: undefined as readonly string[] | undefined,
  logError: (error: unknown, where: { method: string; path: string }) => {
    process.stderr.write(
      `facecast serve: ${where.method} ${where.path}: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  },
});

export type ResolvedAppOptions = Required<Omit<AppOptions, 'allowedHosts'>> &
  Pick<AppOptions, 'allowedHosts'>;

/** Hono environment of the app's handlers (extensions add their own variables). */
export type AppEnv = { Variables: Record<string, unknown> };
