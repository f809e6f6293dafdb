import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtWorkerPath, findWorkerBinary, installedMediasoup } from '../../src/live/index.ts';
import { tempDir } from '../helpers/media.ts';

describe('finding the mediasoup worker binary', () => {
  it('reads the installed mediasoup version, and keys the built worker by it', () => {
    const mediasoup = installedMediasoup();
    expect(mediasoup?.version).toMatch(/^3\.\d+\.\d+$/);
    expect(builtWorkerPath('3.13.16')).toMatch(/\.sfu\/mediasoup-3\.13\.16\/mediasoup-worker$/);
  });

  it('takes MEDIASOUP_WORKER_BIN when it exists, and says so when it does not', async () => {
    const tmp = await tempDir('facecast-sfu-bin-');
    try {
      const bin = join(tmp.dir, 'mediasoup-worker');
      await writeFile(bin, '#!/bin/sh\n');
      await chmod(bin, 0o755);
      expect(findWorkerBinary({ MEDIASOUP_WORKER_BIN: bin })).toEqual({ path: bin });
      const missing = join(tmp.dir, 'nope');
      expect(findWorkerBinary({ MEDIASOUP_WORKER_BIN: missing })).toEqual({
        reason: `MEDIASOUP_WORKER_BIN (${missing}) does not exist`,
      });
    } finally {
      await tmp.cleanup();
    }
  });

  it('without the variable: the built worker, or how to build it', () => {
    const found = findWorkerBinary({});
    const built = builtWorkerPath(installedMediasoup()?.version ?? '');
    if ('path' in found) expect(found.path).toBe(built);
    else expect(found.reason).toContain('npm run setup:sfu');
  });
});
