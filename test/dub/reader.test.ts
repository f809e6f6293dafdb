import { describe, expect, it } from 'vitest';
import { FrameKeeper, SourceFrameReader } from '../../src/dub/reader.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { fixture } from '../helpers/media.ts';

const CLIP = fixture('face/grid_bbaf2n.mpg');

describe('one decode for a source no larger than the tracking size', () => {
  it("serves the tracking pass's frames, identical to a second decode, decoding nothing", async () => {
    const video = await openVideoFrames(CLIP, { fps: 'source', maxSize: 512 });
    const keeper = new FrameKeeper(video.width, video.height, 256 * 1024 ** 2);
    for await (const frame of video) keeper.add(frame);
    const kept = keeper.frames as readonly Uint8Array[];
    expect(kept.length).toBeGreaterThan(50);
    const served = new SourceFrameReader(CLIP, video.width * video.height * 3, { frames: kept });
    const decoding = new SourceFrameReader(CLIP, video.width * video.height * 3);
    try {
      for (const i of [0, 1, 30, kept.length - 1]) {
        expect(await served.get(i, 'forward')).toEqual(await decoding.get(i, 'forward'));
      }
      // ping-pong reads back from memory too
      expect(await served.get(10, 'backward')).toBe(kept[10]);
      expect(served.decodedFrames).toBe(0);
      expect(decoding.decodedFrames).toBeGreaterThan(0);
    } finally {
      await served.close();
      await decoding.close();
    }
  });

  it('lets the frames go past its memory cap, or when they are not full size', async () => {
    const video = await openVideoFrames(CLIP, { fps: 'source' });
    const frameBytes = video.width * video.height * 3;
    const small = new FrameKeeper(video.width, video.height, 10 * frameBytes);
    const other = new FrameKeeper(video.width * 2, video.height * 2, 256 * 1024 ** 2);
    let n = 0;
    for await (const frame of video) {
      small.add(frame);
      other.add(frame);
      if (++n === 10) expect(small.frames?.length).toBe(10);
    }
    expect(small.frames).toBeUndefined();
    expect(other.frames).toBeUndefined();
  });
});
