export { createApp } from './app.ts';
export {
  configFromEnv,
  resolveServerConfig,
  resolveWorkerConfig,
  type ServerConfig,
  type ServerConfigInput,
  serverConfigSchema,
  type WorkerConfig,
  type WorkerConfigInput,
  workerConfigSchema,
} from './config.ts';
export { APP_DEFAULTS, type AppEnv, type AppOptions, type AppServices } from './context.ts';
export { ApiError, type ApiErrorCode, ConfigError } from './errors.ts';
export { type Fetchable, type ListenOptions, listen, type RunningServer } from './listen.ts';
export { ServerMetrics } from './observability.ts';
export { boundHostNames, type OriginPolicyOptions, originPolicy } from './origin.ts';
export {
  type FacecastServer,
  type ServerExtension,
  type StartServerOptions,
  startServer,
} from './start.ts';
export {
  CORES_PER_JOB,
  defaultWorkerConcurrency,
  type FacecastWorker,
  type StartWorkerOptions,
  startWorker,
} from './worker.ts';
