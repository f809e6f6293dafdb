/**
 * A render worker thread: one Renderer for one avatar, rendering the frames it is sent in
 * the order it receives them and transferring each composite back. Started by RenderPool.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ControlsFrame } from '../controls/index.ts';
import { isFacecastError } from '../core/index.ts';
import { createRenderer } from '../render/index.ts';

export interface RenderWorkerData {
  entry: string;
  avatarDir: string;
  sizePx: number;
}

export type RenderWorkerRequest =
  | { type: 'frame'; id: number; frame: ControlsFrame }
  | { type: 'close' };

export type RenderWorkerReply =
  | { type: 'ready'; width: number; height: number }
  | { type: 'frame'; id: number; rgb: Uint8Array; renderMs: number }
  | { type: 'error'; id: number | undefined; error: SerialisedError };

export interface SerialisedError {
  code: string;
  kind: string;
  message: string;
}

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread');
const data = workerData as RenderWorkerData;

const serialise = (error: unknown): SerialisedError =>
  isFacecastError(error)
    ? { code: error.code, kind: error.kind, message: error.message }
    : {
        code: 'RENDER_WORKER_FAILED',
        kind: 'internal',
        message: error instanceof Error ? error.message : String(error),
      };

try {
  // Temporal steadiness needs every frame in order: RenderPool applies it on its side.
  const renderer = await createRenderer(data.avatarDir, { size: data.sizePx, steady: false });
  port.on('message', (request: RenderWorkerRequest) => {
    if (request.type === 'close') {
      renderer.close();
      port.close();
      return;
    }
    try {
      const t = performance.now();
      const { composite } = renderer.render(request.frame);
      const rgb = Uint8Array.from(composite.data);
      const reply: RenderWorkerReply = {
        type: 'frame',
        id: request.id,
        rgb,
        renderMs: performance.now() - t,
      };
      port.postMessage(reply, [rgb.buffer]);
    } catch (error) {
      port.postMessage({
        type: 'error',
        id: request.id,
        error: serialise(error),
      } satisfies RenderWorkerReply);
    }
  });
  port.postMessage({
    type: 'ready',
    width: renderer.width,
    height: renderer.height,
  } satisfies RenderWorkerReply);
} catch (error) {
  port.postMessage({
    type: 'error',
    id: undefined,
    error: serialise(error),
  } satisfies RenderWorkerReply);
}
