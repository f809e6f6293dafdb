import { afterEach, describe, expect, it } from 'vitest';
import { TtsError } from '../../src/tts/index.ts';
import { isAlive, waitFor } from '../helpers/live.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { scriptedStages } from '../helpers/stages.ts';
import { TestViewer } from '../helpers/werift-client.ts';
import { createSession, TestSignal } from '../helpers/ws-client.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function liveSession(stageOptions: Parameters<typeof scriptedStages>[0] = {}) {
  const stages = scriptedStages(stageOptions);
  const server = await startLiveServer({ stages, maxSessions: 2, statsIntervalMs: 200 });
  cleanups.push(() => server.close());
  const created = await createSession(server.url, { avatarId: 'ada' });
  expect(created.status).toBe(201);
  const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
  cleanups.push(() => signal.close());
  const viewer = new TestViewer();
  cleanups.push(() => viewer.close());
  return { server, stages, created: created.json, signal, viewer };
}

describe('a live session over HTTP + ws + WebRTC (werift viewer, scripted stages)', () => {
  it('negotiates, streams 25 fps video and Opus stamped from one clock, and ends cleanly', async () => {
    const { server, stages, created, signal, viewer } = await liveSession();
    const ready = await signal.next('ready');
    expect(ready).toMatchObject({
      sessionId: created.sessionId,
      video: { width: 64, height: 64, fps: 25 },
    });
    signal.send({ type: 'offer', sdp: await viewer.offer() });
    await viewer.accept((await signal.next('answer')).sdp);
    await signal.next('state', { where: (m) => m.state === 'live' });
    await waitFor(() => viewer.video.frames >= 30, { what: '30 frames at the viewer' });

    // One clock: video frame k at k × 3600 (90 kHz), audio advancing 960 per 20 ms packet.
    const v = viewer.video.timestamps;
    const steps = v.slice(1).map((t, i) => (t - v[i]! + 2 ** 32) % 2 ** 32);
    expect(steps.every((s) => s % 3600 === 0)).toBe(true);
    const a = viewer.audio.timestamps;
    expect(
      a
        .slice(1)
        .map((t, i) => (t - a[i]! + 2 ** 32) % 2 ** 32)
        .every((s) => s === 960),
    ).toBe(true);

    const stats = (await signal.next('stats', { from: signal.messages.length })).stats;
    expect(stats.state).toBe('live');
    expect(stats.framesSent).toBeGreaterThan(20);

    const session = server.manager.get(created.sessionId)!;
    const { encoderPid } = session.resources();
    expect(isAlive(encoderPid!)).toBe(true);
    signal.send({ type: 'bye' });
    await signal.next('closed');
    await waitFor(() => signal.closed, { what: 'ws closed by the server' });
    await waitFor(() => server.manager.size === 0, { what: 'session released' });
    expect(isAlive(encoderPid!)).toBe(false);
    expect(session.resources()).toMatchObject({ peerClosed: true, timers: 0 });
    expect(stages.opened[0]!.motion.closed).toBe(1);
    expect(stages.opened[0]!.renderer.closed).toBe(1);
    expect(server.sockets.connections).toBe(0);
  });

  it('speaks pushed PCM at real time, measures latency, and interrupt silences it within a frame', async () => {
    const { signal, viewer, stages } = await liveSession();
    await signal.next('ready');
    signal.send({ type: 'offer', sdp: await viewer.offer() });
    await viewer.accept((await signal.next('answer')).sdp);
    await signal.next('state', { where: (m) => m.state === 'live' });

    signal.send({ type: 'audio.start', format: { encoding: 's16le', sampleRate: 16000 } });
    const second = new Int16Array(16_000);
    for (let i = 0; i < second.length; i++)
      second[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16_000));
    signal.sendBinary(new Uint8Array(second.buffer));
    const speakingFrom = signal.messages.length;
    await signal.next('speaking', { from: speakingFrom, where: (m) => m.speaking });
    await waitFor(() => stages.opened[0]!.renderer.rendered.some((j) => j > 0.5), {
      what: 'mouth open',
    });

    signal.send({ type: 'interrupt' });
    const interrupted = await signal.next('interrupted');
    expect(interrupted.droppedMs).toBeGreaterThan(200);
    const renderer = stages.opened[0]!.renderer;
    const at = renderer.rendered.length;
    await waitFor(() => renderer.rendered.length >= at + 8, { what: '8 more frames' });
    // The frames already inside the motion look-ahead (≤ 2, held at the last pose) may still
    // show an open mouth; from then on the face is at rest (jawOpen from silence).
    const after = renderer.rendered.slice(at, at + 8);
    const closedFrom = after.indexOf(0);
    expect(closedFrom).toBeGreaterThanOrEqual(0);
    expect(closedFrom).toBeLessThanOrEqual(2);
    expect(after.slice(closedFrom).every((j) => j === 0)).toBe(true);
    expect(stages.opened[0]!.motion.interrupts).toBe(1);
    const stats = (await signal.next('stats', { from: signal.messages.length })).stats;
    expect(stats.queues.speechMs).toBe(0);
    expect(stats.latencyMs.p50).not.toBeNull();
  });
});

describe('text input', () => {
  it('speaks texts in order through the TTS port, and a TTS failure fails only that text', async () => {
    const base = scriptedStages();
    const spoken: string[] = [];
    const stages = {
      open: base.open,
      speech: {
        async synthesize(text: string) {
          if (text.includes('fail')) {
            throw new TtsError('TTS_ENGINE_MISSING', 'espeak-ng is not installed');
          }
          spoken.push(text);
          return new Float32Array(text.length * 160).fill(0.2);
        },
      },
    };
    const server = await startLiveServer({ stages, statsIntervalMs: 200 });
    cleanups.push(() => server.close());
    const created = await createSession(server.url, { avatarId: 'ada' });
    const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
    cleanups.push(() => signal.close());
    expect((await signal.next('ready')).tts).toBe(true);
    signal.send({ type: 'text', text: 'first', id: 'a' });
    signal.send({ type: 'text', text: 'please fail', id: 'b' });
    signal.send({ type: 'text', text: 'third one', id: 'c' });
    expect(await signal.next('text.queued', { where: (m) => m.id === 'a' })).toMatchObject({
      durationMs: 50,
    });
    const error = await signal.next('error', { where: (m) => m.code === 'TTS_ENGINE_MISSING' });
    expect(error.fatal).toBe(false);
    await signal.next('text.queued', { where: (m) => m.id === 'c' });
    expect(spoken).toEqual(['first', 'third one']);
    const stats = (await signal.next('stats', { from: signal.messages.length })).stats;
    expect(stats.queues.speechMs).toBe(50 + 90); // queued until the peer connects
    expect(signal.closed).toBe(false);
  });
});
