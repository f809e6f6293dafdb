import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { WebSocketServerLike } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { AvatarLibrary } from '../avatars/index.ts';
import { FaceLandmarker, loadFaceModel } from '../face/index.ts';
import { FolderStorage, JobQueue, RedisJobQueue } from '../jobs/index.ts';
import { VideoPipeline, type VideoPipelineOptions } from '../pipeline/index.ts';
import { createApp } from './app.ts';
import type { ServerConfig } from './config.ts';
import type { AppEnv, AppServices, ServiceJobQueue } from './context.ts';
import { loadServiceRunner, SERVICE_JOB_SCHEMAS } from './jobs.ts';
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
 * The job queue: with `config.queue`, the Redis-backed one (jobs run by `facecast worker`
 * processes; inputs and outputs under `<dataDir>/jobs`, which the workers share); else the
 * embedded on-disk one, whose runner — the same as the workers' — runs here. Lip-sync dubs
 * share it with videos (one concurrency limit, one set of job routes).
 */
async function openJobQueue(
  config: ServerConfig,
  dataDir: string,
  pipeline: VideoPipeline,
  closers: (() => Promise<void>)[],
  signal: AbortSignal | undefined,
): Promise<ServiceJobQueue> {
  const dir = join(dataDir, 'jobs');
  const common = {
    ...SERVICE_JOB_SCHEMAS,
    maxQueued: config.maxQueued,
    retentionMs: config.retentionHours * 3_600_000,
  };
  if (config.queue) {
    const storage = new FolderStorage(dir);
    return RedisJobQueue.open({ url: config.queue, storage, ...common });
  }
  const limits = { maxVideoMs: config.maxVideoMs, maxAudioMs: config.maxAudioMs };
  const { runner, close } = await loadServiceRunner(pipeline, limits, signal);
  closers.push(close);
  return JobQueue.open({ dir, runner, concurrency: config.concurrency, ...common });
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
  // API nodes sharing a data folder (`--queue`) each clear only their own uploads at start.
  const uploadDir = join(dataDir, 'uploads', ...(config.queue ? [hostname()] : []));
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
    const jobs = await openJobQueue(config, dataDir, pipeline, closers, options.signal);
    closers.push(() => jobs.close());
    const metrics = new ServerMetrics();
    const unwatch = metrics.watchJobs(jobs);
    closers.push(async () => void unwatch());
    const services: AppServices = {
      jobs,
      avatars,
      tts: () => pipeline.tts(),
      metrics,
      uploadDir,
      dataDir,
    };
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
