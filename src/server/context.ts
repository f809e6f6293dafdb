import type { JobQueue } from '../jobs/index.ts';
import type { VideoJobInput, VideoJobResult } from '../pipeline/index.ts';
import type { ServerMetrics } from './observability.ts';

/** The services the HTTP app is built from (created and closed by the caller). */
export interface AppServices {
  /** The persistent video job queue. */
  jobs: JobQueue<VideoJobInput, VideoJobResult>;
  metrics: ServerMetrics;
}

/** Hono environment of the app's handlers (extensions add their own variables). */
export type AppEnv = { Variables: Record<string, unknown> };
