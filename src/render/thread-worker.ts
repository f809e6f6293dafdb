/**
 * Worker side of {@link RenderThread} (thread.ts): one Renderer for one avatar, rendering the
 * frames it is sent in the order it receives them and transferring each composite back
 * (into the buffer the caller handed back for reuse when it fits). Not a public entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { neutralFrame } from '../controls/index.ts';
import { createRenderer } from './avatar.ts';
import {
  type RenderThreadData,
  type RenderThreadReply,
  type RenderThreadRequest,
  serialiseThreadError,
} from './thread.ts';

const port = parentPort;
if (!port) throw new Error('thread-worker.ts runs as a worker thread');
const data = workerData as RenderThreadData;

const reply = (message: RenderThreadReply, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

try {
  const renderer = await createRenderer(data.avatarDir, {
    size: data.sizePx,
    steady: data.steady,
  });
  if (data.warmUp) {
    // JIT and caches: the first render is several times slower than the next ones.
    const warm = neutralFrame();
    for (const jaw of [0.5, 0.1, 0.3, 0]) {
      warm.blendshapes.jawOpen = jaw;
      renderer.render(warm);
    }
  }
  const bytes = renderer.width * renderer.height * 3;
  port.on('message', (request: RenderThreadRequest) => {
    if (request.type === 'close') {
      renderer.close();
      port.close();
      return;
    }
    try {
      const started = performance.now();
      const { composite } = renderer.render(request.controls);
      const reusable = request.reuse?.byteLength === bytes ? request.reuse : undefined;
      const rgb = new Uint8Array(reusable ?? new ArrayBuffer(bytes));
      rgb.set(composite.data);
      const renderMs = performance.now() - started;
      reply({ type: 'frame', id: request.id, rgb, renderMs }, [rgb.buffer]);
    } catch (error) {
      reply({ type: 'error', id: request.id, error: serialiseThreadError(error) });
    }
  });
  reply({ type: 'ready', width: renderer.width, height: renderer.height });
} catch (error) {
  reply({ type: 'error', id: undefined, error: serialiseThreadError(error) });
}
