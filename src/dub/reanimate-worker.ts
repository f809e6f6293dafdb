/**
 * Worker side of {@link ReanimatorThread} (reanimate-thread.ts): the process's
 * LowerFaceReanimators (each with its mouth-bank painter), re-animating the frames it is sent
 * in the order it receives them, each in place in its own transferred buffer, transferred
 * back. Not a public entry.
 */
import { parentPort } from 'node:worker_threads';
import { loadFaceModel } from '../face/index.ts';
import { MouthBank } from '../mouthbank/index.ts';
import { serialiseThreadError } from '../render/index.ts';
import {
  drawInPlace,
  LowerFaceReanimator,
  type MouthBankPainter,
  mouthBankPainter,
  type ReanimatePlan,
  reanimateInPlace,
} from './reanimate.ts';
import type {
  ReanimatorThreadReply,
  ReanimatorThreadRequest,
  SentPlan,
} from './reanimate-thread.ts';

const port = parentPort;
if (!port) throw new Error('reanimate-worker.ts runs as a worker thread');
const reply = (message: ReanimatorThreadReply, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

interface Open {
  reanimator: LowerFaceReanimator;
  painter: MouthBankPainter | undefined;
  /** The blend mask of sent plans, on the full grid (0 outside the rows last written). */
  mask: Float32Array;
  maskRows: { y0: number; y1: number };
}

/** A sent plan with its mask back on the full grid (the rows written last time zeroed). */
function receivedPlan(target: Open, sent: SentPlan, sizePx: number): ReanimatePlan {
  const { mask, maskRows } = target;
  if (maskRows.y1 >= maskRows.y0) mask.fill(0, maskRows.y0 * sizePx, (maskRows.y1 + 1) * sizePx);
  const { bounds, rows, blendSpans } = sent.mask;
  if (bounds.y1 >= bounds.y0) mask.set(rows, bounds.y0 * sizePx);
  maskRows.y0 = bounds.y0;
  maskRows.y1 = bounds.y1;
  return { ...sent, mask: { values: mask, bounds, blendSpans } };
}

try {
  const model = await loadFaceModel();
  const open = new Map<number, Open>();
  // Requests run one at a time in arrival order (an `open` loads its bank asynchronously).
  let queue: Promise<void> = Promise.resolve();
  const handle = async (request: ReanimatorThreadRequest): Promise<void> => {
    if (request.type === 'open') {
      const painter = request.mouthBankDir
        ? mouthBankPainter(
            model,
            await MouthBank.load(request.mouthBankDir, request.mouthBankPaint),
          )
        : undefined;
      const reanimator = new LowerFaceReanimator(model, request.sizePx, {
        ...(painter ? { painter } : {}),
        drawInterior: request.drawInterior,
      });
      open.set(request.id, {
        reanimator,
        painter,
        mask: new Float32Array(request.sizePx * request.sizePx),
        maskRows: { y0: 0, y1: -1 },
      });
      reply({ type: 'done', id: request.id });
      return;
    }
    const target = open.get(request.reanimator);
    if (request.type === 'close') {
      target?.reanimator.close();
      open.delete(request.reanimator);
      reply({ type: 'done', id: request.id });
      return;
    }
    if (!target) throw new Error(`reanimator ${request.reanimator} is not open`);
    const started = performance.now();
    const { rgb, result } =
      request.type === 'draw'
        ? drawInPlace(
            target.reanimator,
            receivedPlan(target, request.plan, target.reanimator.sizePx),
            { ...request, rgb: new Uint8Array(request.rgb) },
            request.outWidth,
            request.outHeight,
          )
        : reanimateInPlace(
            target.reanimator,
            { ...request, rgb: new Uint8Array(request.rgb) },
            request.audioWeights,
            request.strength,
            request.outWidth,
            request.outHeight,
          );
    if (request.forget) target.painter?.forget();
    const { mask: _mask, ...small } = result;
    const ms = performance.now() - started;
    const spare =
      request.type === 'draw' ? (request.plan.mask.rows.buffer as ArrayBuffer) : undefined;
    reply({ type: 'frame', id: request.id, rgb, result: small, ms, spare }, [
      rgb.buffer as ArrayBuffer,
      ...(spare ? [spare] : []),
    ]);
  };
  port.on('message', (request: ReanimatorThreadRequest) => {
    queue = queue.then(() =>
      handle(request).catch((error: unknown) =>
        reply({ type: 'error', id: request.id, error: serialiseThreadError(error) }),
      ),
    );
  });
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'error', id: undefined, error: serialiseThreadError(error) });
}
