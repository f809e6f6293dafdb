import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveClient } from '../../client/src/live-client.ts';
import { liveExtension } from '../../src/live/index.ts';
import { type FacecastServer, resolveServerConfig, startServer } from '../../src/server/index.ts';
import {
  chromiumSkipReason,
  firefoxSkipReason,
  hasChromium,
  hasFirefox,
  launchChromium,
  launchFirefox,
} from '../helpers/chromium.ts';
import { isAlive, waitFor } from '../helpers/live.ts';
import { fixture, tempDir } from '../helpers/media.ts';

/**
 * The whole product in real browsers: `facecast serve`'s server (startServer + the live
 * extension, real motion model, real renderer on a worker thread, real avatar made from a
 * photo); Debian's Chromium (playwright-core) with a fake microphone playing
 * test/fixtures/speech/jfk.wav and the photo uploaded through the client, and Debian's
 * Firefox ESR (puppeteer-core over WebDriver BiDi) with its fake microphone tone.
 */
if (!hasChromium) console.warn(`Chromium e2e SKIPPED: ${chromiumSkipReason}`);
if (!hasFirefox) console.warn(`Firefox e2e SKIPPED: ${firefoxSkipReason}`);

const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
type Snapshot = LiveClient['counters'] & { stats: LiveClient['stats']; state: string };
const snapshot = (page: Page) =>
  page.evaluate(() => {
    const c = (window as unknown as { facecast: LiveClient }).facecast;
    return { ...c.counters, stats: c.stats, state: c.state } as Snapshot;
  });

let server: FacecastServer;
let live: ReturnType<typeof liveExtension>;
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (!hasChromium && !hasFirefox) return;
  const tmp = await tempDir('facecast-live-e2e-');
  cleanup = tmp.cleanup;
  // FACECAST_MOTION_MODEL_DIR: a motion model folder instead of models/motion (as `facecast serve`)
  const modelDir = process.env.FACECAST_MOTION_MODEL_DIR;
  live = liveExtension({
    fanout: false,
    statsIntervalMs: 500,
    log: () => {},
    ...(modelDir ? { motionOptions: { modelDir } } : {}),
  });
  server = await startServer(resolveServerConfig({ port: 0, dataDir: join(tmp.dir, 'data') }, {}), {
    extensions: [live],
    ...(modelDir ? { pipeline: { motion: { modelDir } } } : {}),
  });
});

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe.skipIf(!hasChromium)('browser e2e: facecast serve + Debian Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(fixture('speech/jfk.wav'));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('uploads a photo, plays ≥ 100 decoded frames of the right size with live audio, takes the mic, and leaves nothing behind', async () => {
    const manager = live.manager!;
    const udpBefore = udpSockets();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.setInputFiles('#photo', fixture('face/portrait_s42.jpg'));
    await page.click('#start');

    await page.waitForFunction(
      () => (window as unknown as { facecast: LiveClient }).facecast.counters.framesDecoded >= 100,
      null,
      { timeout: 90_000 },
    );
    const [session] = manager.list();
    expect(session).toBeDefined();
    const live1 = manager.get(session!.sessionId)!;
    let c = await snapshot(page);
    // the size the server says it sends, which is the renderer's (a square photo: 512²)
    expect({ w: c.width, h: c.height }).toEqual({ w: live1.video.width, h: live1.video.height });
    expect(c.width).toBe(512);
    expect(c.audioTrack).toBe('live');
    expect(c.videoTrack).toBe('live');
    // the same session's stats over HTTP and on /metrics
    const api = (await (await fetch(`${server.url}/v1/sessions/${session!.sessionId}`)).json()) as {
      framesSent: number;
      state: string;
    };
    expect(api).toMatchObject({ state: 'live' });
    expect(api.framesSent).toBeGreaterThan(50);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^facecast_live_sessions 1$/m);
    expect(metrics).toMatch(/^facecast_live_fps_min \d/m);
    expect(metrics).not.toContain(session!.sessionId);

    // Push-to-talk: hold the button; the fake microphone (JFK) drives the avatar.
    await page.locator('#ptt').hover();
    await page.mouse.down();
    await waitFor(() => (live1.stats().latencyMs.p50 ?? null) !== null, {
      timeoutMs: 20_000,
      what: 'microphone speech to reach the avatar',
    });
    await page.mouse.up();
    await page.waitForFunction(() =>
      /latency p50 \d+ ms/.test(document.getElementById('overlay')?.textContent ?? ''),
    );
    c = await snapshot(page);
    expect(c.stats?.audio.micPackets).toBeGreaterThan(0);

    // Text: the mic is released; the server's TTS speaks the sentence, and the avatar with it.
    await waitFor(() => !live1.stats().audio.speaking, { what: 'the microphone speech to end' });
    await page.fill('#text', 'Hello from facecast.');
    await page.click('#say button');
    await waitFor(() => live1.stats().audio.speaking, {
      timeoutMs: 20_000,
      what: 'the avatar to speak the text',
    });
    expect(await page.locator('#overlay').textContent()).toMatch(/server +\d+(\.\d)? fps/);

    const { encoderPid } = live1.resources();
    expect(isAlive(encoderPid!)).toBe(true);
    await page.click('#stop');
    await waitFor(() => manager.size === 0, { what: 'the session to end' });
    await waitFor(() => live.sockets?.connections === 0, { what: 'the ws to close' });
    expect(isAlive(encoderPid!)).toBe(false);
    expect(live1.resources()).toMatchObject({ peerClosed: true, timers: 0 });
    await waitFor(() => udpSockets() <= udpBefore, { what: 'ICE sockets to close' });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!hasFirefox)('browser e2e: facecast serve + Debian Firefox ESR', () => {
  it('the same client plays ≥ 100 decoded frames with live audio and sends its microphone', async () => {
    const manager = live.manager!;
    // an avatar made over HTTP (the upload through the client is covered in Chromium)
    const form = new FormData();
    const photo = await readFile(fixture('face/portrait_s42.jpg'));
    form.append('photo', new File([photo], 'portrait.jpg', { type: 'image/jpeg' }));
    const response = await fetch(`${server.url}/v1/avatars`, { method: 'POST', body: form });
    const made = (await response.json()) as { id: string };
    const firefox = await launchFirefox();
    try {
      const page = await firefox.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      // a deep link selects the avatar; the client marks itself ready once its list is loaded
      await page.goto(`${server.url}/?avatar=${made.id}`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.$eval('#avatar', (e) => (e as HTMLSelectElement).value)).toBe(made.id);
      await page.click('#start');
      await page
        .waitForFunction(
          () =>
            (window as unknown as { facecast: LiveClient }).facecast.counters.framesDecoded >= 100,
          { timeout: 90_000 },
        )
        .catch(async (error: Error) => {
          const state = await page.evaluate(() => {
            const f = (window as unknown as { facecast: LiveClient }).facecast;
            return {
              ...f.counters,
              state: f.state,
              error: document.getElementById('error')?.textContent,
            };
          });
          const server = manager.list();
          throw new Error(
            `${error.message}: client ${JSON.stringify(state)}; server ${JSON.stringify(server)}; page errors: ${errors.join(' | ')}`,
          );
        });
      await page.click('#open-mic');
      const [session] = manager.list();
      const live1 = manager.get(session!.sessionId)!;
      await waitFor(() => live1.stats().audio.micPackets > 25, { what: "Firefox's microphone" });
      const c = await page.evaluate(() => {
        const f = (window as unknown as { facecast: LiveClient }).facecast;
        return { ...f.counters, ua: navigator.userAgent };
      });
      expect(c.ua).toMatch(/Firefox\//);
      expect({ w: c.width, h: c.height }).toEqual({ w: live1.video.width, h: live1.video.height });
      expect(c.audioTrack).toBe('live');
      await page.click('#stop');
      await waitFor(() => manager.size === 0, { what: 'the session to end' });
      expect(errors).toEqual([]);
    } finally {
      await firefox.close();
    }
  });
});
