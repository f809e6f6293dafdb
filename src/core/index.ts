export {
  AbortedError,
  type ErrorKind,
  FacecastError,
  type FacecastErrorOptions,
  isFacecastError,
  throwIfAborted,
} from './errors.ts';
export { PendingReplies, WORKER_BOOT, type WorkerStartup, workerReady } from './threads.ts';
