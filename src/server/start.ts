import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { WebSocketServerLike } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { AvatarLibrary } from '../avatars/index.ts';
import {
  Dubber,
  dubJobInputSchema,
  dubJobResultSchema,
  dubJobRunner,
  isDubJobInput,
} from '../dub/index.ts';
import { FaceLandmarker, loadFaceModel } from '../face/index.ts';
import { JobQueue } from '../jobs/index.ts';
import {
  VideoPipeline,
  type VideoPipelineOptions,
  videoJobInputSchema,
  videoJobResultSchema,
} from '../pipeline/index.ts';
import { createApp } from './app.ts';
import type { ServerConfig } from './config.ts';
import type {
  AppEnv,
  AppServices,
  ServiceJobInput,
  ServiceJobQueue,
  ServiceJobResult,
} from './context.ts';
import { listen, type RunningServer } from './listen.ts';
import { ServerMetrics } from './observability.ts';
import { boundHostNames } from './origin.ts';

/** Extra things to plug into the server (e.g. live sessions). */
export interface ServerExtension {
  /** Adds routes to the app before it starts listening (e.g. `app.route('/v1/sessions', …)`). */
  mount(app: OpenAPIHono<AppEnv>, services: AppServices): void | Promise<void>;
  /** A `ws` server (`noServer: true`) for `upgradeWebSocket` routes. */
  websocket?: WebSocketServerLike;
  /** Called once the server listens (e.g. to route WebSocket upgrades of the Node server). */
  listening?(running: RunningServer): void | Promise<void>;
  /** Called on shutdown, before the services close. */
  close?(): Promise<void>;
}

export interface StartServerOptions {
  extensions?: readonly ServerExtension[];
  /** Pipeline options (motion model folder, TTS provider). */
  pipeline?: Omit<VideoPipelineOptions, 'maxDurationMs' | 'signal'>;
  signal?: AbortSignal;
}

/** A started facecast server and everything it owns. */
export interface FacecastServer extends RunningServer {
  services: AppServices;
  app: OpenAPIHono<AppEnv>;
}

/**
 * Starts the whole service: loads the models, opens the avatar library and the persistent
 * job queue under `config.dataDir` (jobs left by a previous run resume), builds the app,
 * mounts the extensions and listens. `close()` stops listening, puts running jobs back in
 * the queue for the next start, and releases every model. Idempotent.
 *
 * @example
 * const server = await startServer(resolveServerConfig({ port: 0 }));
 * console.log(server.url);
 * await server.close();
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<FacecastServer> {
  const dataDir = resolve(config.dataDir);
  const uploadDir = join(dataDir, 'uploads');
  await rm(uploadDir, { recursive: true, force: true });
  await mkdir(uploadDir, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) =>
        process.emitWarning(`shutdown: ${(error as Error).message}`),
      );
    }
  };
  try {
    const pipeline = await VideoPipeline.load({
      ...options.pipeline,
      maxDurationMs: config.maxAudioMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    closers.push(() => pipeline.close());
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load(options.signal ? { signal: options.signal } : {});
    closers.push(() => landmarker.close());
    const avatars = await AvatarLibrary.open(join(dataDir, 'avatars'), { model, landmarker });
    closers.push(() => avatars.close());
    // Lip-sync dubs run in the same queue as videos (one concurrency limit, one set of job
    // routes), with the same motion model.
    const dubber = await Dubber.load({
      motion: pipeline.motion,
      defaults: {
        maxVideoDurationMs: config.maxVideoMs,
        maxAudioDurationMs: config.maxAudioMs,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    closers.push(() => dubber.close());
    const runVideo = pipeline.jobRunner();
    const runDub = dubJobRunner(dubber);
    const jobs: ServiceJobQueue = await JobQueue.open<ServiceJobInput, ServiceJobResult>({
      dir: join(dataDir, 'jobs'),
      inputSchema: z.union([videoJobInputSchema, dubJobInputSchema]),
      resultSchema: z.union([videoJobResultSchema, dubJobResultSchema]),
      runner: (input, context) =>
        isDubJobInput(input) ? runDub(input, context) : runVideo(input, context),
      concurrency: config.concurrency,
      maxQueued: config.maxQueued,
      retentionMs: config.retentionHours * 3_600_000,
    });
    closers.push(() => jobs.close());
    const metrics = new ServerMetrics();
    const unwatch = metrics.watchJobs(jobs);
    closers.push(async () => void unwatch());
    const services: AppServices = { jobs, avatars, tts: () => pipeline.tts(), metrics, uploadDir };
    const app = createApp(services, {
      apiKeys: config.apiKeys,
      maxPhotoBytes: config.maxPhotoBytes,
      maxAudioBytes: config.maxAudioBytes,
      maxAudioMs: config.maxAudioMs,
      maxVideoBytes: config.maxVideoBytes,
      maxVideoMs: config.maxVideoMs,
      maxUploads: config.maxUploads,
      allowedOrigins: config.allowedOrigins,
      allowedHosts: boundHostNames(config.host, config.allowedHosts),
    });
    let websocket: WebSocketServerLike | undefined;
    for (const extension of options.extensions ?? []) {
      await extension.mount(app, services);
      if (extension.close) closers.push(() => (extension.close as () => Promise<void>)());
      websocket ??= extension.websocket;
    }
    if (config.clientDir) app.get('/*', serveStatic({ root: config.clientDir }));
    const running = await listen(app, {
      port: config.port,
      host: config.host,
      ...(websocket ? { websocket } : {}),
    });
    closers.push(() => running.close());
    for (const extension of options.extensions ?? []) await extension.listening?.(running);
    let closing: Promise<void> | undefined;
    return {
      ...running,
      services,
      app,
      close: () => {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
