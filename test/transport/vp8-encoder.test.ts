import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/media/index.ts';
import { type EncodedVideoFrame, Vp8Encoder } from '../../src/transport/index.ts';
import { isAlive, syntheticFrame, waitFor } from '../helpers/live.ts';
import { tempDir } from '../helpers/media.ts';

const W = 64;
const H = 48;
const open: Vp8Encoder[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function start(options: Partial<Parameters<typeof Vp8Encoder.start>[0]> = {}) {
  const encoder = await Vp8Encoder.start({ width: W, height: H, ...options });
  open.push(encoder);
  const frames: EncodedVideoFrame[] = [];
  encoder.on('frame', (f) => frames.push(f));
  return { encoder, frames };
}

describe('Vp8Encoder (real ffmpeg)', () => {
  it('encodes one VP8 frame per accepted frame, in order, with a key frame every interval', async () => {
    const { encoder, frames } = await start({ keyframeInterval: 10 });
    let accepted = 0;
    for (let i = 0; i < 30; i++) {
      // indices with gaps, as the scheduler produces after drops
      await waitFor(() => encoder.inFlight < 2);
      if (encoder.encode(syntheticFrame(W, H, i), i * 3)) accepted++;
    }
    await waitFor(() => frames.length === accepted);
    expect(accepted).toBe(30);
    expect(frames.map((f) => f.frameIndex)).toEqual(Array.from({ length: 30 }, (_, i) => i * 3));
    expect(frames.filter((f) => f.keyframe).map((f) => frames.indexOf(f))).toEqual([0, 10, 20]);
    expect(encoder.toJSON()).toMatchObject({
      accepted: 30,
      encoded: 30,
      keyframes: 3,
      inFlight: 0,
    });

    // The bytes are a real VP8 stream of the right size: write them as IVF and probe.
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'out.ivf');
      await writeFile(
        path,
        toIvf(
          frames.map((f) => f.data),
          W,
          H,
        ),
      );
      const info = await probeMedia(path);
      expect(info.video).toMatchObject({ codec: 'vp8', width: W, height: H });
    } finally {
      await cleanup();
    }
  });

  it('refuses frames beyond maxInFlight instead of queueing them, and copies the caller buffer', async () => {
    const { encoder, frames } = await start({ maxInFlight: 2 });
    const rgb = syntheticFrame(W, H, 0);
    const results = Array.from({ length: 6 }, (_, i) => encoder.encode(rgb, i));
    rgb.fill(0); // the encoder copied it
    expect(results.slice(0, 2)).toEqual([true, true]);
    expect(results.slice(2)).toEqual([false, false, false, false]);
    expect(encoder.toJSON().refused).toBe(4);
    await waitFor(() => frames.length === 2);
    expect(() => encoder.encode(new Uint8Array(5), 9)).toThrow(RangeError);
  });

  it('close() stops the ffmpeg process and is idempotent', async () => {
    const { encoder } = await start();
    const pid = encoder.pid!;
    expect(isAlive(pid)).toBe(true);
    let closes = 0;
    encoder.on('close', () => closes++);
    await Promise.all([encoder.close(), encoder.close()]);
    await encoder.close();
    expect(isAlive(pid)).toBe(false);
    expect(closes).toBe(1);
    expect(encoder.encode(syntheticFrame(W, H, 0), 0)).toBe(false);
  });

  it('reports an encoder that dies mid-stream as TRANSPORT_ENCODER_FAILED and closes', async () => {
    const { encoder } = await start();
    const errors: Error[] = [];
    encoder.on('error', (e) => errors.push(e));
    process.kill(encoder.pid!, 'SIGKILL');
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ENCODER_FAILED' });
    await waitFor(() => encoder.closed);
  });

  it('rejects odd frame sizes and an aborted signal before spawning anything', async () => {
    await expect(Vp8Encoder.start({ width: 63, height: 48 })).rejects.toThrow(RangeError);
    await expect(
      Vp8Encoder.start({ width: W, height: H }, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

function toIvf(frames: Uint8Array[], width: number, height: number): Uint8Array {
  const header = Buffer.alloc(32);
  header.write('DKIF', 0);
  header.writeUInt16LE(32, 6);
  header.write('VP80', 8);
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(25, 16);
  header.writeUInt32LE(1, 20);
  header.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [header];
  frames.forEach((data, i) => {
    const fh = Buffer.alloc(12);
    fh.writeUInt32LE(data.length, 0);
    fh.writeBigUInt64LE(BigInt(i), 4);
    parts.push(fh, Buffer.from(data));
  });
  return Buffer.concat(parts);
}
