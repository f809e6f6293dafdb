/**
 * Entry of facecast's worker threads (thread-boot.mjs): facecast runs its TypeScript sources
 * through tsx, which a worker does not inherit, so each worker is started on this file with
 * `workerData.entry` (the file URL of its TypeScript module) and registers tsx first.
 *
 * @example
 * new Worker(WORKER_BOOT, { workerData: { entry: new URL('./my-worker.ts', import.meta.url).href } });
 */
export const WORKER_BOOT = new URL('./thread-boot.mjs', import.meta.url);
