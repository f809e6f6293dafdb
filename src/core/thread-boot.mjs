// Entry of facecast's worker threads: facecast runs its TypeScript sources directly through
// tsx (no build step), and a worker does not inherit the parent's loader, so each worker
// registers tsx and then imports its TypeScript module (workerData.entry, a file URL).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
