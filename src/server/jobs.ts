import { z } from 'zod';
import {
  Dubber,
  dubJobInputSchema,
  dubJobResultSchema,
  dubJobRunner,
  isDubJobInput,
} from '../dub/index.ts';
import type { JobRunner } from '../jobs/index.ts';
import {
  type VideoPipeline,
  videoJobInputSchema,
  videoJobResultSchema,
} from '../pipeline/index.ts';
import type { ServiceJobInput, ServiceJobResult } from './context.ts';

/** The schemas of the service's jobs (video and dub), as every queue backend checks them. */
export const SERVICE_JOB_SCHEMAS = Object.freeze({
  inputSchema: z.union([videoJobInputSchema, dubJobInputSchema]) as z.ZodType<ServiceJobInput>,
  resultSchema: z.union([videoJobResultSchema, dubJobResultSchema]) as z.ZodType<ServiceJobResult>,
});

/** The runner of video and dub jobs and what it holds. */
export interface ServiceRunner {
  runner: JobRunner<ServiceJobInput, ServiceJobResult>;
  /** Releases the dubber's models (not the pipeline's: its owner closes it). */
  close(): Promise<void>;
}

/**
 * Loads the dubber (on the pipeline's motion model) and returns the one runner both queue
 * backends use: the embedded queue inside `facecast serve`, and `facecast worker`.
 */
export async function loadServiceRunner(
  pipeline: VideoPipeline,
  limits: { maxVideoMs: number; maxAudioMs: number },
  signal?: AbortSignal,
): Promise<ServiceRunner> {
  const dubber = await Dubber.load({
    motion: pipeline.motion,
    defaults: { maxVideoDurationMs: limits.maxVideoMs, maxAudioDurationMs: limits.maxAudioMs },
    ...(signal ? { signal } : {}),
  });
  const runVideo = pipeline.jobRunner();
  const runDub = dubJobRunner(dubber);
  return {
    runner: (input, context) =>
      isDubJobInput(input) ? runDub(input, context) : runVideo(input, context),
    close: () => dubber.close(),
  };
}
