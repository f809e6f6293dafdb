/**
 * Worker-thread side of {@link RenderWorker}: owns one Renderer and renders into a
 * SharedArrayBuffer the main thread reads. Started by render-worker.ts; not a public entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ControlsFrame } from '../controls/index.ts';
import { loadFaceModel } from '../face/index.ts';
import { createRenderer } from '../render/index.ts';

interface Init {
  avatarDir: string;
  size: number;
}

const port = parentPort;
if (!port) throw new Error('render-thread.ts must run in a worker thread');
const init = workerData as Init;

try {
  const renderer = await createRenderer(init.avatarDir, {
    size: init.size,
    model: await loadFaceModel(),
  });
  const shared = new SharedArrayBuffer(renderer.width * renderer.height * 3);
  const out = new Uint8Array(shared);
  port.on('message', (message: { id: number; controls: ControlsFrame }) => {
    try {
      const started = performance.now();
      out.set(renderer.render(message.controls).composite.data);
      port.postMessage({ type: 'done', id: message.id, renderMs: performance.now() - started });
    } catch (error) {
      port.postMessage({ type: 'failed', id: message.id, message: (error as Error).message });
    }
  });
  port.postMessage({ type: 'ready', width: renderer.width, height: renderer.height, shared });
} catch (error) {
  const e = error as Error & { code?: string; kind?: string };
  port.postMessage({ type: 'init-failed', message: e.message, code: e.code, kind: e.kind });
}
