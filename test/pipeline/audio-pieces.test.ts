import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAvatar, loadFaceModel } from '../../src/face/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { decodeFrames, fixture, tempDir } from '../helpers/media.ts';

// The decoder's pipe cuts the audio differently from run to run; the render must not care.
// Here the cut is forced: one arm gets the decoder's own chunks, the other the same samples
// re-cut into 2048-sample chunks (what a busy pipe can deliver).
const recut = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/audio/index.ts', async (importOriginal) => {
  const audio = await importOriginal<typeof import('../../src/audio/index.ts')>();
  return {
    ...audio,
    openAudio: async (...args: Parameters<typeof audio.openAudio>) => {
      const reader = await audio.openAudio(...args);
      if (!recut.on) return reader;
      return {
        ...reader,
        async *[Symbol.asyncIterator]() {
          for await (const chunk of reader) {
            for (let i = 0; i < chunk.length; i += 2048) yield chunk.slice(i, i + 2048);
          }
        },
      };
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;
let pipeline: VideoPipeline;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-audio-pieces-'));
  pipeline = await VideoPipeline.load({ generator: 'off' });
});
afterAll(async () => {
  await pipeline?.close();
  await cleanup?.();
});

describe('a render does not depend on how the audio arrives', () => {
  it('gives the same frames for the decoder’s chunks and for 2048-sample chunks', async () => {
    const avatarDir = join(dir, 'avatar');
    await createAvatar(fixture('face/portrait_s42.jpg'), avatarDir, {
      model: await loadFaceModel(),
    });
    const render = async (name: string) => {
      const outPath = join(dir, `${name}.mp4`);
      await pipeline.render({
        avatarDir,
        audioPath: fixture('speech/jfk.wav'),
        outPath,
        sizePx: 256,
        seed: 1,
      });
      return decodeFrames(outPath);
    };
    recut.on = false;
    const whole = await render('whole');
    recut.on = true;
    const cut = await render('cut');
    expect(cut.length).toBe(whole.length);
    const differing = whole.filter((f, i) => !Buffer.from(f).equals(cut[i] as Uint8Array));
    expect(differing.length).toBe(0);
  }, 120_000);
});
