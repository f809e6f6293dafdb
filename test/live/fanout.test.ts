import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFacecastError } from '../../src/core/index.ts';
import { MediasoupFanout } from '../../src/live/index.ts';
import { hasChromium, launchChromium } from '../helpers/chromium.ts';
import { waitFor } from '../helpers/live.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { fixture } from '../helpers/media.ts';
import { scriptedStages } from '../helpers/stages.ts';
import { TestViewer } from '../helpers/werift-client.ts';
import { createSession, TestSignal } from '../helpers/ws-client.ts';

/** Starts a mediasoup worker if this machine has its binary; else says why not. */
async function tryFanout(): Promise<{ fanout?: MediasoupFanout; reason: string }> {
  try {
    return { fanout: await MediasoupFanout.create(), reason: '' };
  } catch (error) {
    if (isFacecastError(error) && error.code === 'LIVE_FANOUT_UNAVAILABLE')
      return { reason: error.message };
    throw error;
  }
}

const probe = await tryFanout();
probe.fanout?.close();
if (!probe.fanout) console.warn(`mediasoup fan-out tests SKIPPED: ${probe.reason}`);

describe('mediasoup fan-out without a worker', () => {
  it.skipIf(probe.fanout !== undefined)(
    'reports LIVE_FANOUT_UNAVAILABLE naming the missing binary, and the viewer API answers 501',
    async () => {
      await expect(MediasoupFanout.create()).rejects.toMatchObject({
        code: 'LIVE_FANOUT_UNAVAILABLE',
        message: expect.stringMatching(/mediasoup-worker|MEDIASOUP_WORKER_BIN/),
      });
      const server = await startLiveServer({ stages: scriptedStages() });
      try {
        const created = await createSession(server.url, { avatarId: 'ada' });
        expect(created.json.viewToken).toBeUndefined();
        const response = await fetch(
          `${server.url}/v1/sessions/${created.json.sessionId}/viewers/capabilities?token=x`,
        );
        expect(response.status).toBe(501);
        expect(await response.json()).toMatchObject({ error: { code: 'LIVE_FANOUT_UNAVAILABLE' } });
      } finally {
        await server.close();
      }
    },
  );
});

describe.skipIf(!probe.fanout || !hasChromium)(
  'mediasoup fan-out with a worker (viewer in Chromium)',
  () => {
    let fanout: MediasoupFanout;
    let server: Awaited<ReturnType<typeof startLiveServer>>;

    beforeAll(async () => {
      fanout = await MediasoupFanout.create();
      server = await startLiveServer({
        stages: scriptedStages({ size: 128 }),
        fanout,
        client: true,
      });
    });
    afterAll(async () => {
      await server?.close();
      fanout?.close();
    });

    it('a second browser watches the session through the router', async () => {
      const created = await createSession(server.url, { avatarId: 'ada' });
      const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
      const owner = new TestViewer();
      await signal.next('ready');
      signal.send({ type: 'offer', sdp: await owner.offer() });
      await owner.accept((await signal.next('answer')).sdp);
      await signal.next('state', { where: (m) => m.state === 'live' });
      const browser = await launchChromium(fixture('speech/jfk.wav'));
      try {
        const page = await browser.newPage();
        await page.goto(`${server.url}${created.json.viewUrl as string}`);
        await page.waitForFunction(
          () => {
            const v = document.getElementById('video') as HTMLVideoElement;
            return v.getVideoPlaybackQuality().totalVideoFrames >= 50 && v.videoWidth === 128;
          },
          null,
          { timeout: 30_000 },
        );
      } finally {
        await browser.close();
        signal.close();
        await owner.close();
      }
      await waitFor(() => server.manager.size === 0, { what: 'session released' });
    });
  },
);
