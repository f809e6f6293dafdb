import { throwIfAborted } from '../core/index.ts';
import { STATUS_ID, type TrackStore, widenInnerLips } from '../dub/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from '../face/index.ts';
import {
  chooseBankFrames,
  type InnerLips,
  innerLipsFromMesh,
  MOUTH_BANK_FILE,
  MouthBank,
  type MouthSample,
} from '../mouthbank/index.ts';
import { FrameStore } from './frames.ts';

/**
 * The inner lips of a tracked frame as the re-animation sees them: the mesh landmarks
 * (468 × (x, y), stored-frame px) with the same widening the reanimator applies.
 */
export function trackedInnerLips(model: FaceModel, landmarks: Float32Array): InnerLips {
  const widened = Float32Array.from(landmarks.subarray(0, FACE_VERTEX_COUNT * 2));
  widenInnerLips(model, widened);
  return innerLipsFromMesh(model.sets.lipsUpperInner, model.sets.lipsLowerInner, widened, 2);
}

/** Inputs of {@link buildReplicaMouthBank}. */
export interface ReplicaBankInput {
  model: FaceModel;
  /** The footage's track (records of usable frames). */
  store: TrackStore;
  /** Status per stored frame (only tracked frames join). */
  statuses: Uint8Array;
  width: number;
  height: number;
  storedFrames: number;
  /** Frames that may not join (a held-out stretch in the self-reenactment bench). */
  exclude?: (frame: number) => boolean;
  signal?: AbortSignal;
}

/**
 * Builds the footage's mouth bank (src/mouthbank) from the stored frames in `dir` and writes
 * it there: the open-mouthed tracked frames, spread over their openings. Returns the bank's
 * file name (null when no frame opened the mouth enough) and its size.
 */
export async function buildReplicaMouthBank(
  dir: string,
  input: ReplicaBankInput,
): Promise<{ file: string | null; entries: number; bank: MouthBank }> {
  const lips: (InnerLips | undefined)[] = [];
  for (let i = 0; i < input.storedFrames; i++) {
    if (input.statuses[i] !== STATUS_ID.dubbed || input.exclude?.(i)) {
      lips.push(undefined);
      continue;
    }
    const record = await input.store.read(i);
    lips.push(trackedInnerLips(input.model, record.landmarks));
  }
  const chosen = chooseBankFrames(lips);
  const frames = await FrameStore.open(dir, {
    width: input.width,
    height: input.height,
    frames: input.storedFrames,
  });
  const decode = async function* (): AsyncGenerator<MouthSample> {
    for (const frame of chosen) {
      throwIfAborted(input.signal);
      const image = { width: input.width, height: input.height, data: await frames.read(frame) };
      yield { image, lips: lips[frame] as InnerLips, frame };
    }
  };
  let bank: MouthBank;
  try {
    bank = await MouthBank.build(decode());
  } finally {
    await frames.close();
  }
  if (bank.size === 0) return { file: null, entries: 0, bank };
  await bank.save(dir);
  return { file: MOUTH_BANK_FILE, entries: bank.size, bank };
}
