import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrackStore } from '../../src/dub/track-store.ts';
import { tempDir } from '../helpers/media.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
});

describe('the track file', () => {
  it('stores records by frame index in any order and reads them back', async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    const path = join(tmp.dir, 'track.bin');
    const store = await TrackStore.create(path);
    const record = (i: number) => ({
      weights: Float32Array.from({ length: 52 }, (_, k) => i + k / 100),
      pose: { pitch: i, yaw: -i, roll: 0.5, pxPerCm: 10 + i, txPx: 100, tyPx: 200 },
      landmarks: Float32Array.from({ length: 936 }, (_, k) => i * 1000 + k),
    });
    await store.write(3, record(3));
    await store.write(0, record(0));
    const back = await store.read(3);
    expect(back.weights[51]).toBeCloseTo(3.51, 5);
    expect(back.pose).toEqual({ pitch: 3, yaw: -3, roll: 0.5, pxPerCm: 13, txPx: 100, tyPx: 200 });
    expect(back.landmarks[935]).toBe(3935);
    expect((await store.read(0)).landmarks[1]).toBe(1);
    // Never written past the end: an internal error, not garbage.
    await expect(store.read(7)).rejects.toMatchObject({ code: 'DUB_TRACK_CORRUPT' });
    await store.close();
    await store.close();
    expect(existsSync(path)).toBe(false);
    await expect(store.read(0)).rejects.toMatchObject({ code: 'DUB_TRACK_CORRUPT' });
  });
});
