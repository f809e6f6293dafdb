import { describe, expect, it } from 'vitest';
import { Dubber } from '../../src/dub/index.ts';
import { tempDir } from '../helpers/media.ts';

describe('Dubber.load', () => {
  it('loads its models together; one failing rejects with its own code and releases the rest', async () => {
    const { dir, cleanup } = await tempDir('facecast-dubber-');
    try {
      // an empty folder: no motion model (the face models and the landmark thread load fine)
      await expect(Dubber.load({ motionOptions: { modelDir: dir } })).rejects.toMatchObject({
        code: 'MOTION_MODEL_MISSING',
      });
      // and a dubber loads afterwards (nothing left half-open)
      const dubber = await Dubber.load();
      await dubber.close();
    } finally {
      await cleanup();
    }
  }, 60_000);
});
