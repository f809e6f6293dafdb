export {
  AbortedError,
  type ErrorKind,
  FacecastError,
  type FacecastErrorOptions,
  isFacecastError,
  throwIfAborted,
} from './errors.ts';
export { WORKER_BOOT } from './threads.ts';
