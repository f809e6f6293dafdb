import { afterEach, describe, expect, it } from 'vitest';
import type { SpeechPort } from '../../src/live/index.ts';
import { OpusEncoder } from '../../src/transport/index.ts';
import { waitFor } from '../helpers/live.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { scriptedStages } from '../helpers/stages.ts';
import { TestViewer } from '../helpers/werift-client.ts';
import { createSession, TestSignal } from '../helpers/ws-client.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A streaming speech port: 10 ms of tone per character, in two chunks; `hold` sentences wait for abort. */
function streamingPort() {
  const calls: { text: string; aborted: boolean }[] = [];
  const port: SpeechPort = {
    async synthesize() {
      throw new Error('the session streams');
    },
    async *stream(text, { signal }) {
      const call = { text, aborted: false };
      calls.push(call);
      const n = text.length * 160;
      yield new Float32Array(n / 2).fill(0.2);
      if (text.includes('hold')) {
        await new Promise<void>((resolve) =>
          signal?.addEventListener('abort', () => resolve(), { once: true }),
        );
        call.aborted = true;
        throw signal?.reason;
      }
      yield new Float32Array(n - n / 2).fill(0.2);
    },
  };
  return { port, calls };
}

async function session(port: SpeechPort | undefined, options: Record<string, unknown> = {}) {
  const base = scriptedStages();
  const stages = { open: base.open, ...(port ? { speech: port } : {}) };
  const server = await startLiveServer({ stages, statsIntervalMs: 100 });
  cleanups.push(() => server.close());
  const created = await createSession(server.url, { avatarId: 'ada', options });
  expect(created.status).toBe(201);
  const signal = await TestSignal.connect(`${server.url}${created.json.wsUrl}`);
  cleanups.push(() => signal.close());
  await signal.next('ready');
  return { signal, base, server };
}

describe('streamed text (text.delta … text.end)', () => {
  it('speaks each sentence as soon as it is complete, in order, before the text ends', async () => {
    const { port, calls } = streamingPort();
    const { signal } = await session(port);
    signal.send({ type: 'text.delta', text: 'Hello there. How', id: 't1' });
    const first = await signal.next('sentence.queued');
    expect(first).toMatchObject({ id: 't1', index: 0, text: 'Hello there.', durationMs: 120 });
    expect(calls.map((c) => c.text)).toEqual(['Hello there.']); // "How" waits for its sentence
    signal.send({ type: 'text.delta', text: ' are you? Fine', id: 't1' });
    await signal.next('sentence.queued', { where: (m) => m.index === 1 });
    expect(calls.map((c) => c.text)).toEqual(['Hello there.', 'How are you?']);
    signal.send({ type: 'text.end', id: 't1' });
    const last = await signal.next('sentence.queued', { where: (m) => m.index === 2 });
    expect(last.text).toBe('Fine');
    expect(await signal.next('text.queued')).toMatchObject({
      id: 't1',
      durationMs: 120 + 120 + 40,
    });
    const stats = (await signal.next('stats', { from: signal.messages.length })).stats;
    expect(stats.queues.speechMs).toBe(280); // queued until the peer connects
    expect(stats.conversation.sentencesSpoken).toBe(3);
  });

  it('interrupt aborts the synthesis in flight and drops the sentences after it', async () => {
    const { port, calls } = streamingPort();
    const { signal } = await session(port);
    signal.send({ type: 'text', text: 'Please hold on. Never spoken.', id: 'x' });
    await waitFor(() => calls.length === 1, { what: 'synthesis started' });
    signal.send({ type: 'interrupt' });
    await signal.next('interrupted');
    await waitFor(() => calls[0]?.aborted === true, { what: 'the TTS stream aborted' });
    const stats = (await signal.next('stats', { from: signal.messages.length })).stats;
    expect(stats.conversation.state).toBe('interrupted');
    expect(stats.queues.speechMs).toBe(0);
    expect(calls.map((c) => c.text)).toEqual(['Please hold on.']);
    expect(signal.messages.some((m) => m.type === 'error')).toBe(false);
  });

  it('refuses streamed text without a TTS provider', async () => {
    const { signal } = await session(undefined);
    signal.send({ type: 'text.delta', text: 'Hi.' });
    expect((await signal.next('error')).code).toBe('LIVE_TTS_UNAVAILABLE');
  });
});

describe('listening (mic: listen)', () => {
  it('while the user speaks into the mic the avatar listens: state listening, lips not driven by the mic', async () => {
    const { signal, base } = await session(undefined, { mic: 'listen' });
    const viewer = new TestViewer({ withMic: true });
    cleanups.push(() => viewer.close());
    signal.send({ type: 'offer', sdp: await viewer.offer() });
    await viewer.accept((await signal.next('answer')).sdp);
    await signal.next('state', { where: (m) => m.state === 'live' });
    const opus = new OpusEncoder();
    const tone = Float32Array.from({ length: 960 * 50 }, (_, i) => 0.4 * Math.sin(i / 5));
    const packets = opus.process(tone);
    opus.close();
    const renderedBefore = base.opened[0]!.renderer.rendered.length;
    for (const [i, p] of packets.entries()) {
      viewer.sendMic(p, i * 960);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(
      (await signal.next('conversation', { where: (m) => m.state === 'listening' })).state,
    ).toBe('listening');
    const rendered = base.opened[0]!.renderer.rendered.slice(renderedBefore);
    expect(rendered.length).toBeGreaterThan(5);
    // the scripted motion opens the jaw with the loudness it is fed: the mic fed none of it
    expect(Math.max(...rendered)).toBeLessThan(0.02);
    await signal.next('conversation', { where: (m) => m.state === 'idle', timeoutMs: 15_000 });
  });
});
