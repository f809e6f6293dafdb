/**
 * Worker-thread side of {@link RenderWorker}: owns one Renderer and renders into a
 * SharedArrayBuffer the main thread reads. Started by render-worker.ts; not a public entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ControlsFrame, neutralFrame } from '../controls/index.ts';
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
  // Warm up (JIT, caches): the first render is several times slower than the next ones, and
  // the first frame of a session is the one the user waits for.
  const warm = neutralFrame();
  for (const jaw of [0.5, 0.1, 0.3, 0]) {
    warm.blendshapes.jawOpen = jaw;
    renderer.render(warm);
  }
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
