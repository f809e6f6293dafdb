export { JobError, type JobErrorCode } from './errors.ts';
export {
  isFinal,
  JOB_QUEUE_DEFAULTS,
  type JobListener,
  JobQueue,
  type JobQueueOptions,
  type JobQueueStats,
  type JobRunContext,
  type JobRunner,
} from './queue.ts';
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
export { INPUT_DIR, JOB_FILE, type JobPaths, WORK_DIR } from './store.ts';
