export {
  AbortedError,
  type ErrorKind,
  FacecastError,
  type FacecastErrorOptions,
  isFacecastError,
  throwIfAborted,
} from './errors.ts';
