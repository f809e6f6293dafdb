/**
 * Fan-out with a mediasoup worker and no browser (viewers are werift peers in this process,
 * test/helpers/sfu-viewer.ts): key frames on join, viewer admission by measured cost, and a
 * session moving to a live worker when its worker dies. Skips, saying why, without the
 * worker `npm run setup:sfu` builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFacecastError } from '../../src/core/index.ts';
import {
  type GaugeRegistry,
  MediasoupFanout,
  probeViewerCost,
  registerLiveMetrics,
  type SessionCapacity,
  type ViewerCost,
} from '../../src/live/index.ts';
import { waitFor } from '../helpers/live.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { joinSfuViewer, type SfuViewer, viewerApi } from '../helpers/sfu-viewer.ts';
import { scriptedStages } from '../helpers/stages.ts';
import { TestViewer } from '../helpers/werift-client.ts';
import { createSession, TestSignal } from '../helpers/ws-client.ts';

async function tryFanout(): Promise<string> {
  try {
    (await MediasoupFanout.create({ workers: 1 })).close();
    return '';
  } catch (error) {
    if (isFacecastError(error) && error.code === 'LIVE_FANOUT_UNAVAILABLE') return error.message;
    throw error;
  }
}
const skipReason = await tryFanout();
if (skipReason) console.warn(`mediasoup fan-out (no browser) tests SKIPPED: ${skipReason}`);

type Server = Awaited<ReturnType<typeof startLiveServer>>;

/** A session with its owner (a werift peer) live, so frames flow. */
async function liveSession(url: string) {
  const created = await createSession(url, { avatarId: 'ada' });
  const signal = await TestSignal.connect(`${url}${created.json.wsUrl}`);
  const owner = new TestViewer();
  await signal.next('ready');
  signal.send({ type: 'offer', sdp: await owner.offer() });
  await owner.accept((await signal.next('answer')).sdp);
  await signal.next('state', { where: (m) => m.state === 'live', timeoutMs: 35_000 });
  const id = created.json.sessionId as string;
  const viewToken = created.json.viewToken as string;
  return {
    id,
    viewToken,
    join: () => joinSfuViewer(url, id, viewToken),
    api: viewerApi(url, id, viewToken),
    async close() {
      signal.close();
      await owner.close();
    },
  };
}

/** Metrics as a scrape would read them: gauge name → value (first row). */
function scrape(register: (registry: GaugeRegistry) => void): Map<string, number> {
  const gauges = new Map<string, () => unknown>();
  register({ gauge: (name, _help, collect) => gauges.set(name, collect) });
  const out = new Map<string, number>();
  for (const [name, collect] of gauges) {
    const v = collect();
    if (typeof v === 'number') out.set(name, v);
  }
  return out;
}

describe.skipIf(skipReason !== '')('mediasoup fan-out without a browser', () => {
  let fanout: MediasoupFanout;
  let server: Server;
  let keyframeRequests = 0;
  const viewers: SfuViewer[] = [];

  // 1 core × 1000 ms: a session plans 250 ms/s, a viewer 250 ms/s → 3 viewers beside 1 session.
  const capacity: SessionCapacity = {
    sessions: 2,
    cpuMsPerFrame: 10,
    cores: 1,
    utilisation: 1,
    frames: 50,
  };
  const viewerCost: ViewerCost = {
    cpuMsPerViewerFrame: 10,
    viewers: 20,
    frames: 50,
    cores: 1,
    utilisation: 1,
  };

  beforeAll(async () => {
    fanout = await MediasoupFanout.create({ workers: 2, viewerSilenceTimeoutMs: 3000 });
    // Counts the key frame requests that reach the sessions' encoders.
    const publish = fanout.publish.bind(fanout);
    fanout.publish = (id, onKeyframeRequest) =>
      publish(id, () => {
        keyframeRequests++;
        onKeyframeRequest?.();
      });
    server = await startLiveServer({
      stages: scriptedStages({ size: 128 }),
      fanout,
      capacity,
      viewerCost,
    });
  });
  afterAll(async () => {
    await Promise.all(viewers.map((v) => v.close()));
    await server?.close();
    fanout?.close();
  });

  it('the viewer-cost probe measures forwarding on a worker', async () => {
    const cost = await probeViewerCost(fanout.pool, { viewers: 10, seconds: 1 });
    expect(cost.viewers).toBe(10);
    expect(cost.frames).toBe(25);
    // The bench measured ~0.05–0.11 ms per viewer-frame on these cores; a probe that
    // measured nothing (no consumer forwarding) would give the floor of 0.001.
    expect(cost.cpuMsPerViewerFrame).toBeGreaterThan(0.005);
    expect(cost.cpuMsPerViewerFrame).toBeLessThan(5);
  });

  it('a joining viewer makes the encoder emit a key frame; with capacity for 3 viewers the 4th gets 503 LIVE_VIEWER_LIMIT', async () => {
    const session = await liveSession(server.url);
    try {
      const first = await session.join();
      viewers.push(first);
      await waitFor(() => first.frames >= 10, { what: 'frames at the first viewer' });
      // The session's stream is in the router now (a viewer that joins before its first
      // packet has nothing to ask a key frame of, and waits for the periodic one): a joining
      // viewer's consumer asks its producer for a key frame once its transport is connected;
      // the PLI reaches the session's encoder (a fresh encoder: a key frame within ~50 ms).
      const before = keyframeRequests;
      const joining = await session.join();
      viewers.push(joining);
      await waitFor(() => keyframeRequests > before, { what: 'a key frame request' });
      viewers.push(await session.join());
      const metrics = scrape((r) => registerLiveMetrics(r, server.manager));
      expect(metrics.get('facecast_live_viewers')).toBe(3);
      expect(metrics.get('facecast_live_viewers_headroom')).toBe(0);
      expect(metrics.get('facecast_live_viewer_cpu_ms_per_frame')).toBe(10);

      const refused = await session.join().catch((error: unknown) => error);
      expect(refused).toMatchObject({
        status: 503,
        code: 'LIVE_VIEWER_LIMIT',
        retryAfter: '30',
      });
      expect(fanout.viewerCount(session.id)).toBe(3);
      // A viewer leaving frees its place.
      await viewers.pop()?.leave();
      await waitFor(() => fanout.viewerCount(session.id) === 2, { what: 'the viewer gone' });
      viewers.push(await session.join());
      // Sessions count viewers too: 1 session + 3 viewers leave no room for a second session.
      const second = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ avatarId: 'ada' }),
      });
      expect(second.status).toBe(503);
      expect(await second.json()).toMatchObject({ error: { code: 'LIVE_SESSION_LIMIT' } });
    } finally {
      await Promise.all(viewers.splice(0).map((v) => v.close()));
      await session.close();
    }
    await waitFor(() => server.manager.size === 0, { what: 'session released' });
  });

  it('a viewer that goes silent (sends nothing: no RTCP, no ICE check) is dropped; a live one stays', async () => {
    const session = await liveSession(server.url);
    try {
      const live = await session.join();
      viewers.push(live);
      const { routerRtpCapabilities } = await session.api<{
        routerRtpCapabilities: { codecs: unknown[] };
      }>('/capabilities');
      // Joins, but never connects: like a tab killed right after joining.
      const silent = await session.api<{ transport: { id: string } }>('', {
        rtpCapabilities: { codecs: routerRtpCapabilities.codecs },
      });
      expect(fanout.viewerCount(session.id)).toBe(2);
      await waitFor(() => fanout.viewerCount(session.id) === 1, {
        what: 'the silent viewer dropped',
        timeoutMs: 10_000,
      });
      const gone = await session.api(`/${silent.transport.id}`).catch((error: unknown) => error);
      expect(gone).toMatchObject({ status: 404, code: 'LIVE_VIEWER_NOT_FOUND' });
      const frames = live.frames;
      await new Promise((r) => setTimeout(r, 4000)); // past the timeout: the live one stays
      expect(fanout.viewerCount(session.id)).toBe(1);
      expect(live.frames).toBeGreaterThan(frames);
    } finally {
      await Promise.all(viewers.splice(0).map((v) => v.close()));
      await session.close();
    }
    await waitFor(() => server.manager.size === 0, { what: 'session released' });
  });

  it("a session whose worker dies moves to a live worker: its viewers' transports are gone, new viewers get frames", async () => {
    const session = await liveSession(server.url);
    try {
      const viewer = await session.join();
      viewers.push(viewer);
      await waitFor(() => viewer.frames >= 5, { what: 'frames before' });
      const [placement] = [...fanout.placements(session.id).values()];
      const dying = placement?.workerIndex as number;
      process.kill(fanout.workerPids[dying] as number, 'SIGKILL');
      await waitFor(() => fanout.viewerCount(session.id) === 0, { what: 'the viewer dropped' });
      await waitFor(
        () => {
          try {
            return fanout.generation(session.id) === 2;
          } catch {
            return false; // moving: LIVE_FANOUT_MOVING
          }
        },
        { what: 'the session published again' },
      );
      const gone = await session.api(`/${viewer.transportId}`).catch((error: unknown) => error);
      expect(gone).toMatchObject({ status: 404, code: 'LIVE_VIEWER_NOT_FOUND' });

      const rejoined = await session.join();
      viewers.push(rejoined);
      expect(rejoined.generation).toBe(2);
      await waitFor(() => rejoined.frames >= 10, { what: 'frames after the move' });
      const state = await session.api<{ workerIndex: number; generation: number }>(
        `/${rejoined.transportId}`,
      );
      expect(state.generation).toBe(2);
      expect(state.workerIndex).not.toBe(dying);
      expect(server.manager.get(session.id)?.state).toBe('live');
    } finally {
      await Promise.all(viewers.splice(0).map((v) => v.close()));
      await session.close();
    }
  });
});
