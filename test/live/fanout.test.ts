import type { Browser, Page } from 'playwright-core';
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

/** Mean brightness of what a page's <video> shows (decoded frames, not just packets). */
const meanLuma = (page: Page) =>
  page.evaluate(() => {
    const v = document.getElementById('video') as HTMLVideoElement;
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(v, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i + 1] as number;
    return sum / (data.length / 4);
  });

const framesDecoded = (page: Page) =>
  page.evaluate(
    () =>
      (document.getElementById('video') as HTMLVideoElement).getVideoPlaybackQuality()
        .totalVideoFrames,
  );

/** Opens the viewer page and waits until it has decoded `frames` frames of the avatar. */
async function watch(browser: Browser, url: string, frames: number): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(
    (n) => {
      const v = document.getElementById('video') as HTMLVideoElement;
      return v.getVideoPlaybackQuality().totalVideoFrames >= n && v.videoWidth === 128;
    },
    frames,
    { timeout: 30_000 },
  );
  return page;
}

describe.skipIf(!probe.fanout || !hasChromium)(
  'mediasoup fan-out with a worker (viewers in Chromium: ICE, DTLS, SRTP)',
  () => {
    let fanout: MediasoupFanout;
    let server: Awaited<ReturnType<typeof startLiveServer>>;

    beforeAll(async () => {
      // Two workers, one viewer per router: the second viewer is served by a router on the
      // other worker, fed through pipeToRouter.
      fanout = await MediasoupFanout.create({ workers: 2, viewersPerRouter: 1 });
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

    it('viewers decode the avatar through the router; a second joins later on a piped worker', async () => {
      const created = await createSession(server.url, { avatarId: 'ada' });
      const id = created.json.sessionId;
      const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
      const owner = new TestViewer();
      await signal.next('ready');
      signal.send({ type: 'offer', sdp: await owner.offer() });
      await owner.accept((await signal.next('answer')).sdp);
      await signal.next('state', { where: (m) => m.state === 'live' });
      const browser = await launchChromium(fixture('speech/jfk.wav'));
      try {
        const viewUrl = `${server.url}${created.json.viewUrl as string}`;
        const first = await watch(browser, viewUrl, 50);
        // The scripted renderer paints an idle (silent) avatar at brightness 40.
        expect(await meanLuma(first)).toBeGreaterThan(25);
        expect(await meanLuma(first)).toBeLessThan(55);
        const second = await watch(browser, viewUrl, 25);
        const before = await framesDecoded(first);
        await waitFor(async () => (await framesDecoded(first)) >= before + 25, {
          what: 'the first viewer keeps playing',
        });
        expect(await meanLuma(second)).toBeLessThan(55);
        const placements = [...fanout.placements(id).values()];
        expect(placements).toHaveLength(2);
        const [origin, piped] = placements;
        expect(origin?.piped).toBe(false);
        expect(piped?.piped).toBe(true);
        expect(piped?.workerIndex).not.toBe(origin?.workerIndex);
        // The owner's own peer kept its stream throughout.
        expect(owner.video.frames).toBeGreaterThan(50);
      } finally {
        await browser.close();
        signal.close();
        await owner.close();
      }
      await waitFor(() => server.manager.size === 0, { what: 'session released' });
      expect(fanout.viewerCount(id)).toBe(0);
    });
  },
);
