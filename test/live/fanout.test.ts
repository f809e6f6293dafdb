import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFacecastError } from '../../src/core/index.ts';
import { MediasoupFanout } from '../../src/live/index.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../helpers/chromium.ts';
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

/**
 * RMS of the decoded audio the page's <video> plays right now (a Web Audio analyser on its
 * stream, made on the first call): decoded samples, not packets.
 */
const audioRms = (page: Page) =>
  page.evaluate(async () => {
    const w = window as unknown as { facecastTestRms?: () => number };
    if (!w.facecastTestRms) {
      const v = document.getElementById('video') as HTMLVideoElement;
      const ctx = new AudioContext();
      await ctx.resume();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 2048;
      ctx.createMediaStreamSource(v.srcObject as MediaStream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      w.facecastTestRms = () => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const x of buf) sum += x * x;
        return Math.sqrt(sum / buf.length);
      };
    }
    return w.facecastTestRms();
  });

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
    { timeout: 45_000 },
  );
  return page;
}

/** A session on `server` with its owner (a werift peer) live. */
async function liveSession(url: string) {
  const created = await createSession(url, { avatarId: 'ada' });
  const signal = await TestSignal.connect(`${url}${created.json.wsUrl}`);
  const owner = new TestViewer();
  await signal.next('ready');
  signal.send({ type: 'offer', sdp: await owner.offer() });
  await owner.accept((await signal.next('answer')).sdp);
  // The server gives a peer 30 s to connect; on a loaded machine it can take more than 15.
  await signal.next('state', { where: (m) => m.state === 'live', timeoutMs: 35_000 });
  const id = created.json.sessionId;
  const viewToken = created.json.viewToken as string;
  const capabilitiesUrl = `${url}/v1/sessions/${id}/viewers/capabilities?token=${viewToken}`;
  return { id, viewUrl: `${url}${created.json.viewUrl}`, capabilitiesUrl, signal, owner };
}

/** 4 s of a 220 Hz tone (s16le, 16 kHz) pushed as the session's speech. */
function speakTone(signal: TestSignal): void {
  signal.send({ type: 'audio.start', format: { encoding: 's16le', sampleRate: 16000 } });
  const tone = new Int16Array(4 * 16_000);
  for (let i = 0; i < tone.length; i++)
    tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16_000));
  signal.sendBinary(new Uint8Array(tone.buffer));
}

const skipReason = !probe.fanout ? probe.reason : chromiumSkipReason;
if (probe.fanout && !hasChromium)
  console.warn(`mediasoup fan-out browser tests SKIPPED: ${chromiumSkipReason}`);

describe.skipIf(skipReason !== '')(
  'mediasoup fan-out with a worker (viewers in Chromium: ICE, DTLS, SRTP)',
  () => {
    let fanout: MediasoupFanout;
    let server: Awaited<ReturnType<typeof startLiveServer>>;
    let browser: Browser;

    beforeAll(async () => {
      // Two workers, two viewers per router: the third viewer is served by a router on the
      // other worker, fed through pipeToRouter.
      fanout = await MediasoupFanout.create({ workers: 2, viewersPerRouter: 2 });
      server = await startLiveServer({
        stages: scriptedStages({ size: 128 }),
        fanout,
        maxSessions: 3,
        client: true,
      });
      browser = await launchChromium(fixture('speech/jfk.wav'));
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      fanout?.close();
    });

    it('viewers decode the video and voice through the router; a third joins later on a piped worker', async () => {
      const { id, viewUrl, signal, owner } = await liveSession(server.url);
      try {
        const viewers = await Promise.all([
          watch(browser, viewUrl, 50),
          watch(browser, viewUrl, 50),
        ]);
        for (const page of viewers) {
          // The scripted renderer paints an idle (silent) avatar at brightness 40.
          expect(await meanLuma(page)).toBeGreaterThan(25);
          expect(await meanLuma(page)).toBeLessThan(55);
          expect(await audioRms(page)).toBeLessThan(0.01); // idle: silence
        }
        const third = await watch(browser, viewUrl, 25);
        viewers.push(third);
        const before = await framesDecoded(viewers[0] as Page);
        await waitFor(async () => (await framesDecoded(viewers[0] as Page)) >= before + 25, {
          what: 'the first viewer keeps playing',
        });
        expect(await meanLuma(third)).toBeLessThan(55);

        // The avatar speaks: every viewer, the piped one too, plays the voice.
        await audioRms(third);
        speakTone(signal);
        for (const [i, page] of viewers.entries()) {
          await waitFor(async () => (await audioRms(page)) > 0.03, {
            what: `viewer ${i + 1} to play the voice`,
            timeoutMs: 30_000,
          });
        }

        const placements = [...fanout.placements(id).values()];
        expect(placements.filter((p) => !p.piped)).toHaveLength(2);
        const piped = placements.filter((p) => p.piped);
        expect(piped).toHaveLength(1);
        expect(piped[0]?.workerIndex).not.toBe(placements.find((p) => !p.piped)?.workerIndex);
        // The owner's own peer kept its stream throughout.
        expect(owner.video.frames).toBeGreaterThan(50);
        await Promise.all(viewers.map((page) => page.close()));
      } finally {
        signal.close();
        await owner.close();
      }
      await waitFor(() => server.manager.size === 0, { what: 'session released' });
      expect(fanout.viewerCount(id)).toBe(0);
    });

    it('refuses malformed viewer requests with 400 LIVE_BAD_REQUEST before mediasoup sees them', async () => {
      const { id, capabilitiesUrl, signal, owner } = await liveSession(server.url);
      try {
        const base = capabilitiesUrl.replace('/capabilities', '');
        const post = (path: string, body: unknown) =>
          fetch(base.replace('?', `${path}?`), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        const expectBad = async (response: Response) => {
          expect(response.status).toBe(400);
          expect(await response.json()).toMatchObject({ error: { code: 'LIVE_BAD_REQUEST' } });
        };
        await expectBad(await post('', { rtpCapabilities: { codecs: [{ mimeType: 'VP8' }] } }));
        await expectBad(await post('', {}));
        const { routerRtpCapabilities } = (await (await fetch(capabilitiesUrl)).json()) as {
          routerRtpCapabilities: { codecs: unknown[] };
        };
        const joined = await post('', {
          rtpCapabilities: { codecs: routerRtpCapabilities.codecs },
        });
        expect(joined.status).toBe(201);
        const { transport } = (await joined.json()) as { transport: { id: string } };
        const fingerprint = { algorithm: 'sha-256', value: 'AB:CD' };
        await expectBad(await post(`/${transport.id}/connect`, { dtlsParameters: {} }));
        await expectBad(
          await post(`/${transport.id}/connect`, {
            dtlsParameters: { fingerprints: [{ ...fingerprint, value: undefined }] },
          }),
        );
        await expectBad(
          await post(`/${transport.id}/connect`, {
            dtlsParameters: { fingerprints: [{ ...fingerprint, algorithm: 'md5' }] },
          }),
        );
        expect(fanout.viewerCount(id)).toBe(1);
      } finally {
        signal.close();
        await owner.close();
      }
      await waitFor(() => server.manager.size === 0, { what: 'session released' });
    });

    it('places viewers who join at once: two per router, one piped router per worker, then the least-loaded router', async () => {
      const { id, capabilitiesUrl, signal, owner } = await liveSession(server.url);
      try {
        const { routerRtpCapabilities } = (await (await fetch(capabilitiesUrl)).json()) as {
          routerRtpCapabilities: { codecs: unknown[] };
        };
        const joins = await Promise.all(
          Array.from({ length: 5 }, () =>
            fetch(capabilitiesUrl.replace('/capabilities', ''), {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ rtpCapabilities: { codecs: routerRtpCapabilities.codecs } }),
            }),
          ),
        );
        for (const response of joins) {
          expect(response.status).toBe(201);
          const body = (await response.json()) as { consumers: { kind: string }[] };
          expect(body.consumers.map((c) => c.kind).sort()).toEqual(['audio', 'video']);
        }
        const placements = [...fanout.placements(id).values()];
        const origin = placements.filter((p) => !p.piped);
        const piped = placements.filter((p) => p.piped);
        expect(origin).toHaveLength(3); // 2, then the overflow: both workers serve the session
        expect(piped).toHaveLength(2);
        expect(new Set(piped.map((p) => p.workerIndex)).size).toBe(1);
        expect(piped[0]?.workerIndex).not.toBe(origin[0]?.workerIndex);
      } finally {
        signal.close();
        await owner.close();
      }
      await waitFor(() => server.manager.size === 0, { what: 'session released' });
      expect(fanout.viewerCount(id)).toBe(0);
    });

    it('a piped worker that dies takes only its own viewers; the next viewer joins the origin', async () => {
      // Its own workers: this test kills one.
      const own = await MediasoupFanout.create({ workers: 2, viewersPerRouter: 1 });
      const ownServer = await startLiveServer({
        stages: scriptedStages({ size: 128 }),
        fanout: own,
      });
      const { id, capabilitiesUrl, signal, owner } = await liveSession(ownServer.url);
      try {
        const { routerRtpCapabilities } = (await (await fetch(capabilitiesUrl)).json()) as {
          routerRtpCapabilities: { codecs: unknown[] };
        };
        const join = () =>
          fetch(capabilitiesUrl.replace('/capabilities', ''), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ rtpCapabilities: { codecs: routerRtpCapabilities.codecs } }),
          });
        expect((await join()).status).toBe(201);
        expect((await join()).status).toBe(201);
        const piped = [...own.placements(id).values()].find((p) => p.piped);
        process.kill(own.workerPids[piped?.workerIndex ?? -1] as number, 'SIGKILL');
        await waitFor(() => own.viewerCount(id) === 1, { what: 'the piped viewer dropped' });
        const next = await join();
        expect(next.status).toBe(201);
        expect(((await next.json()) as { consumers: unknown[] }).consumers).toHaveLength(2);
        expect([...own.placements(id).values()].every((p) => !p.piped)).toBe(true);
        expect(ownServer.manager.get(id)?.state).toBe('live');
      } finally {
        signal.close();
        await owner.close();
        await ownServer.close();
        own.close();
      }
    });

    it('a worker that dies: its session moves to the other worker and the viewer page joins again by itself; the next session publishes there too', async () => {
      const first = await liveSession(server.url);
      const second = await liveSession(server.url);
      const sessions = [first, second];
      try {
        const page = await watch(browser, first.viewUrl, 10);
        const [placement] = [...fanout.placements(first.id).values()];
        const dying = fanout.workerPids[placement?.workerIndex ?? -1] as number;
        process.kill(dying, 'SIGKILL');
        // The page polls its transport, finds it gone, and joins the moved session.
        await waitFor(
          () => {
            try {
              return fanout.generation(first.id) === 2 && fanout.viewerCount(first.id) === 1;
            } catch {
              return false; // LIVE_FANOUT_MOVING meanwhile
            }
          },
          { what: 'the viewer page to join the moved session', timeoutMs: 30_000 },
        );
        const [moved] = [...fanout.placements(first.id).values()];
        expect(moved?.workerIndex).not.toBe(placement?.workerIndex);
        const decoded = await framesDecoded(page);
        await waitFor(async () => (await framesDecoded(page)) >= decoded + 25, {
          what: 'the page to play the moved session',
          timeoutMs: 30_000,
        });
        await page.close();
        expect(server.manager.get(first.id)?.state).toBe('live');
        expect(first.owner.video.frames).toBeGreaterThan(25);
        // The other session still fans out, and so does a new one.
        await (await watch(browser, second.viewUrl, 25)).close();
        first.signal.close();
        await first.owner.close();
        await waitFor(() => server.manager.size === 1, { what: 'the first session released' });
        const third = await liveSession(server.url);
        sessions.push(third);
        await (await watch(browser, third.viewUrl, 25)).close();
      } finally {
        for (const s of sessions) {
          s.signal.close();
          await s.owner.close();
        }
      }
      await waitFor(() => server.manager.size === 0, { what: 'sessions released' });
    });
  },
);
