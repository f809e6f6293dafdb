import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isAlive, waitFor } from '../helpers/live.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { scriptedStages } from '../helpers/stages.ts';
import { TestViewer } from '../helpers/werift-client.ts';
import { createSession, TestSignal } from '../helpers/ws-client.ts';

/**
 * Protocol faults against one server, which must keep serving a healthy session throughout
 * (checked after each case): malformed and oversized messages, wrong tokens, a second offer,
 * a viewer that vanishes mid-stream, the session cap.
 */
let server: Awaited<ReturnType<typeof startLiveServer>>;
let healthy: { signal: TestSignal; viewer: TestViewer; id: string };

async function liveSessionOn() {
  const created = await createSession(server.url, { avatarId: 'ada' });
  expect(created.status).toBe(201);
  const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
  const viewer = new TestViewer();
  await signal.next('ready');
  signal.send({ type: 'offer', sdp: await viewer.offer() });
  await viewer.accept((await signal.next('answer')).sdp);
  await signal.next('state', { where: (m) => m.state === 'live' });
  return { signal, viewer, id: created.json.sessionId };
}

/** The healthy session still streams. */
async function stillServing() {
  const before = healthy.viewer.video.frames;
  await waitFor(() => healthy.viewer.video.frames >= before + 5, {
    what: 'the healthy session to keep streaming',
  });
  expect(healthy.signal.closed).toBe(false);
}

beforeAll(async () => {
  server = await startLiveServer({
    stages: scriptedStages(),
    maxSessions: 3,
    peerSilenceTimeoutMs: 3000,
    socket: { maxBadMessages: 5 },
  });
  healthy = await liveSessionOn();
});

afterAll(async () => {
  healthy?.signal.close();
  await healthy?.viewer.close();
  await server?.close();
});

describe('protocol faults (the server keeps serving the others)', () => {
  it('answers malformed and oversized messages with errors, and closes after too many', async () => {
    const created = await createSession(server.url, { avatarId: 'ada' });
    const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
    await signal.next('ready');
    signal.send('{oops');
    expect(await signal.next('error')).toMatchObject({ code: 'LIVE_BAD_MESSAGE', fatal: false });
    signal.send({ type: 'offer', sdp: 'x'.repeat(100_000) });
    await signal.next('error', { where: (m) => m.code === 'LIVE_MESSAGE_TOO_LARGE' });
    signal.sendBinary(new Uint8Array(300_000));
    await signal.next('error', {
      where: (m) => m.code === 'LIVE_MESSAGE_TOO_LARGE' && /binary/.test(m.message),
    });
    signal.sendBinary(new Uint8Array(100)); // PCM before audio.start
    await signal.next('error', { where: (m) => m.code === 'LIVE_BAD_STATE' });
    signal.send({ type: 'ping', t: 1 });
    expect(await signal.next('pong')).toMatchObject({ t: 1 }); // still talking
    signal.send({ type: 'text', text: 'hello' }); // no TTS on this server
    await signal.next('error', { where: (m) => m.code === 'LIVE_TTS_UNAVAILABLE' });
    for (let i = 0; i < 3; i++) signal.send({ type: 'nope' });
    await signal.next('error', { where: (m) => m.fatal });
    await waitFor(() => signal.closed, { what: 'ws closed after too many bad messages' });
    expect(signal.closeCode).toBe(1008);
    await waitFor(() => server.manager.get(created.json.sessionId) === undefined, {
      what: 'session released',
    });
    await stillServing();
  });

  it('refuses a frame over the 1 MiB hard cap at the ws layer (1009) and releases the session', async () => {
    const created = await createSession(server.url, { avatarId: 'ada' });
    const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
    await signal.next('ready');
    signal.sendBinary(new Uint8Array(1024 * 1024 + 1));
    await waitFor(() => signal.closed, { what: 'ws closed' });
    expect(signal.closeCode).toBe(1009);
    await waitFor(() => server.manager.get(created.json.sessionId) === undefined, {
      what: 'session released',
    });
    await stillServing();
  });

  it('refuses a wrong, reused or missing token and an unknown session with HTTP errors', async () => {
    const created = await createSession(server.url, { avatarId: 'ada' });
    const base = `${server.url}/v1/sessions/${created.json.sessionId}/ws`;
    await expect(TestSignal.connect(`${base}?token=wrong`)).rejects.toMatchObject({ status: 401 });
    await expect(TestSignal.connect(base)).rejects.toMatchObject({
      status: 401,
      body: expect.stringContaining('LIVE_TOKEN_INVALID'),
    });
    await expect(
      TestSignal.connect(
        `${server.url}/v1/sessions/00000000-0000-0000-0000-000000000000/ws?token=x`,
      ),
    ).rejects.toMatchObject({ status: 404 });
    // the right token works once
    const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
    await signal.next('ready');
    await expect(TestSignal.connect(`${server.url}${created.json.wsUrl}`)).rejects.toMatchObject({
      status: 401,
      body: expect.stringContaining('already used'),
    });
    signal.close();
    await waitFor(() => server.manager.get(created.json.sessionId) === undefined, {
      what: 'session released',
    });
    await stillServing();
  });

  it('refuses a second offer and keeps the negotiated session streaming', async () => {
    const other = new TestViewer();
    healthy.signal.send({ type: 'offer', sdp: await other.offer() });
    const error = await healthy.signal.next('error', {
      where: (m) => m.code === 'TRANSPORT_RENEGOTIATION_UNSUPPORTED',
    });
    expect(error.fatal).toBe(false);
    await other.close();
    await stillServing();
  });

  it('releases everything when the viewer vanishes mid-stream (no bye, no ws close)', async () => {
    const { signal, viewer, id } = await liveSessionOn();
    const session = server.manager.get(id)!;
    const { encoderPid } = session.resources();
    await waitFor(() => viewer.video.frames > 10, { what: 'streaming' });
    await viewer.close(); // the browser tab is gone; its ws happens to stay open
    await signal.next('closed', { where: (m) => m.reason === 'peer-lost', timeoutMs: 10_000 });
    await waitFor(() => signal.closed && server.manager.get(id) === undefined, {
      what: 'released',
    });
    expect(isAlive(encoderPid!)).toBe(false);
    expect(session.resources()).toMatchObject({ peerClosed: true, timers: 0 });
    await stillServing();
  });

  it('caps concurrent sessions with a clear 503 and frees the slot when one ends', async () => {
    const extra = [];
    while (server.manager.size < server.manager.maxSessions) {
      extra.push((await createSession(server.url, { avatarId: 'ada' })).json);
    }
    const refused = await createSession(server.url, { avatarId: 'ada' });
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ error: { code: 'LIVE_SESSION_LIMIT' } });
    const response = await fetch(`${server.url}/v1/sessions/${extra[0]!.sessionId}`, {
      method: 'DELETE',
    });
    expect(response.status).toBe(204);
    const again = await createSession(server.url, { avatarId: 'ada' });
    expect(again.status).toBe(201);
    for (const s of [...extra.slice(1), again.json]) {
      await fetch(`${server.url}/v1/sessions/${s.sessionId}`, { method: 'DELETE' });
    }
    await stillServing();
  });

  it('rejects bad session requests and unknown avatars over HTTP', async () => {
    expect((await createSession(server.url, { avatarId: '' })).status).toBe(400);
    expect(
      (await createSession(server.url, { avatarId: 'ada', options: { size: 1000 } })).json,
    ).toMatchObject({
      error: { code: 'LIVE_BAD_REQUEST', message: expect.stringContaining('options.size') },
    });
    expect((await createSession(server.url, { avatarId: 'missing' })).status).toBe(404);
    const list = (await (await fetch(`${server.url}/v1/sessions`)).json()) as {
      sessions: { sessionId: string }[];
    };
    expect(list.sessions.map((s) => s.sessionId)).toEqual([healthy.id]);
    expect((await fetch(`${server.url}/v1/sessions/nope`)).status).toBe(404);
  });

  it('ends a connected session after its idle timeout (no input) and releases it', async () => {
    const created = await createSession(server.url, {
      avatarId: 'ada',
      options: { idleTimeoutMs: 1500 },
    });
    const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
    const viewer = new TestViewer();
    try {
      await signal.next('ready');
      signal.send({ type: 'offer', sdp: await viewer.offer() });
      await viewer.accept((await signal.next('answer')).sdp);
      await signal.next('state', { where: (m) => m.state === 'live' });
      const pid = server.manager.get(created.json.sessionId)!.resources().encoderPid!;
      await signal.next('closed', { where: (m) => m.reason === 'idle-timeout', timeoutMs: 10_000 });
      await waitFor(() => server.manager.get(created.json.sessionId) === undefined, {
        what: 'released',
      });
      expect(isAlive(pid)).toBe(false);
    } finally {
      await viewer.close();
    }
    await stillServing();
  });

  it('a session whose token is never used expires and is released', async () => {
    const short = await startLiveServer({ stages: scriptedStages(), tokenTtlMs: 300 });
    try {
      const created = await createSession(short.url, { avatarId: 'ada' });
      const session = short.manager.get(created.json.sessionId)!;
      const pid = session.resources().encoderPid!;
      await waitFor(() => short.manager.size === 0, { what: 'token expiry' });
      expect(isAlive(pid)).toBe(false);
      const ws = new WebSocket(`${short.url.replace('http', 'ws')}${created.json.wsUrl}`);
      const status = await new Promise<number>((resolve) =>
        ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)),
      );
      expect(status).toBe(404);
    } finally {
      await short.close();
    }
  });
});
