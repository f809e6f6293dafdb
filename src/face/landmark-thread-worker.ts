/**
 * Worker side of {@link LandmarkThread} (landmark-thread.ts): one FaceFinder, answering the
 * images it is sent in the order it receives them and transferring each face's landmarks
 * and the image itself back. Not a public entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isFacecastError } from '../core/index.ts';
import { FaceFinder } from './face-finder.ts';
import type {
  LandmarkThreadData,
  LandmarkThreadReply,
  LandmarkThreadRequest,
} from './landmark-thread.ts';

const port = parentPort;
if (!port) throw new Error('landmark-thread-worker.ts runs as a worker thread');
const data = workerData as LandmarkThreadData;

const serialise = (error: unknown) =>
  isFacecastError(error)
    ? { code: error.code, message: error.message }
    : {
        code: 'LANDMARKER_FAILED',
        message: `face detection failed: ${error instanceof Error ? error.message : String(error)}`,
      };
const reply = (message: LandmarkThreadReply, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

try {
  const finder = await FaceFinder.load(data.modelDir, data.settings);
  port.on('message', (request: LandmarkThreadRequest) => {
    if (request.type === 'reset') {
      finder.reset();
      return;
    }
    const image = {
      width: request.width,
      height: request.height,
      data: new Uint8Array(request.data),
    };
    // the image goes back with the answer, for the caller's next call
    finder.faces(image).then(
      (faces) => {
        const transfer = faces.map((f) => f.landmarks.buffer as ArrayBuffer);
        const answer = { type: 'faces', id: request.id, faces, stats: finder.stats() } as const;
        reply({ ...answer, image: request.data }, [...transfer, request.data]);
      },
      (error: unknown) =>
        reply({ type: 'error', id: request.id, error: serialise(error), image: request.data }, [
          request.data,
        ]),
    );
  });
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'error', id: undefined, error: serialise(error) });
}
