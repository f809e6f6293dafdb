import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveClient } from '../../client/src/live-client.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../helpers/chromium.ts';
import { e2eStages } from '../helpers/e2e-stages.ts';
import { isAlive, waitFor } from '../helpers/live.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { fixture } from '../helpers/media.ts';

if (!hasChromium) console.warn(`browser e2e SKIPPED: ${chromiumSkipReason}`);

const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
type Counters = LiveClient['counters'] & { stats: LiveClient['stats']; state: string };
const counters = (page: Page) =>
  page.evaluate(() => {
    const c = (window as unknown as { facecast: LiveClient }).facecast;
    return { ...c.counters, stats: c.stats, state: c.state } as Counters;
  });

describe.skipIf(!hasChromium)('browser e2e: Debian Chromium, the client, a fake microphone', () => {
  let server: Awaited<ReturnType<typeof startLiveServer>>;
  let browser: Browser;
  let stages: Awaited<ReturnType<typeof e2eStages>>;

  beforeAll(async () => {
    stages = await e2eStages();
    server = await startLiveServer({
      stages: stages.factory,
      client: true,
      avatars: stages.avatars,
      statsIntervalMs: 500,
    });
    browser = await launchChromium(fixture('speech/jfk.wav'));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await stages?.close();
  });

  it('plays ≥ 100 decoded 512² frames with live audio, takes the mic, and leaves nothing behind', async () => {
    const udpBefore = udpSockets();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(
      () => (document.getElementById('avatar') as HTMLSelectElement).options.length > 0,
    );
    await page.selectOption('#avatar', stages.avatars[0]!.id);
    await page.click('#start');

    await page.waitForFunction(
      () => (window as unknown as { facecast: LiveClient }).facecast.counters.framesDecoded >= 100,
      null,
      { timeout: 60_000 },
    );
    let c = await counters(page);
    expect(c.width).toBe(512);
    expect(c.height).toBe(512);
    expect(c.audioTrack).toBe('live');
    expect(c.videoTrack).toBe('live');

    // Push-to-talk: hold the button for 2 s; the fake microphone (JFK) drives the avatar.
    const [session] = server.manager.list();
    expect(session).toBeDefined();
    await page.locator('#ptt').hover();
    await page.mouse.down();
    await waitFor(
      () => (server.manager.get(session!.sessionId)?.stats().latencyMs.p50 ?? null) !== null,
      {
        timeoutMs: 15_000,
        what: 'mic speech to reach the avatar',
      },
    );
    await page.mouse.up();
    // the overlay shows the server's stats, latency included, as they arrive on the ws
    await page.waitForFunction(() =>
      /latency p50 \d+ ms/.test(document.getElementById('overlay')?.textContent ?? ''),
    );
    c = await counters(page);
    expect(c.stats?.audio.micPackets).toBeGreaterThan(0);
    expect(await page.locator('#overlay').textContent()).toMatch(/server +\d+(\.\d)? fps/);

    const live = server.manager.get(session!.sessionId)!;
    const { encoderPid } = live.resources();
    expect(isAlive(encoderPid!)).toBe(true);
    await page.click('#stop');
    await waitFor(() => server.manager.size === 0, { what: 'the session to end' });
    await waitFor(() => server.sockets.connections === 0, { what: 'the ws to close' });
    expect(isAlive(encoderPid!)).toBe(false);
    expect(live.resources()).toMatchObject({ peerClosed: true, timers: 0 });
    await waitFor(() => udpSockets() <= udpBefore, { what: 'ICE sockets to close' });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
