export { JobError, type JobErrorCode } from './errors.ts';
export {
  JOB_QUEUE_DEFAULTS,
  type JobListener,
  type JobQueueOptions,
  type JobQueueStats,
  type JobRunContext,
  type JobRunner,
} from './options.ts';
export { isFinal, JobQueue } from './queue.ts';
export {
  REDIS_QUEUE_DEFAULTS,
  type RedisQueueLocation,
  redisPrefixSchema,
  redisUrlSchema,
} from './redis/connection.ts';
export {
  REDIS_JOB_QUEUE_DEFAULTS,
  RedisJobQueue,
  type RedisJobQueueOptions,
} from './redis/queue.ts';
export { JOB_WORKER_DEFAULTS, JobWorker, type JobWorkerOptions } from './redis/worker.ts';
export {
  canceledFailure,
  finishedRecord,
  interruptedFailure,
  type RunJobOptions,
  type RunOutcome,
  requeuedRecord,
  runJob,
  startedRecord,
  toFailure,
} from './run.ts';
export {
  FINAL_STATES,
  JOB_ID_PATTERN,
  type JobFailure,
  type JobProgress,
  type JobRecord,
  type JobState,
  jobFailureSchema,
  jobIdSchema,
  jobProgressSchema,
  jobRecordSchema,
  jobStateSchema,
} from './schema.ts';
export type { JobService, JobSubmission } from './service.ts';
export { FolderStorage, type JobStorage, type StoredFile } from './storage.ts';
export { INPUT_DIR, JOB_FILE, type JobPaths, moveIntoJob, WORK_DIR } from './store.ts';
