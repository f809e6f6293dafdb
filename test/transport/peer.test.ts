import { afterEach, describe, expect, it } from 'vitest';
import { AvatarPeer, type IncomingAudioPacket, OpusEncoder } from '../../src/transport/index.ts';
import { waitFor } from '../helpers/live.ts';
import { TestViewer } from '../helpers/werift-client.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function pair(
  options: ConstructorParameters<typeof TestViewer>[0] = {},
  silenceTimeoutMs = 10_000,
) {
  const peer = new AvatarPeer({ silenceTimeoutMs });
  const viewer = new TestViewer(options);
  cleanups.push(
    () => peer.close(),
    () => viewer.close(),
  );
  return { peer, viewer };
}

describe('AvatarPeer (werift ↔ werift on loopback)', () => {
  it('answers an offer, connects, sends VP8 and Opus with the negotiated types, receives the mic', async () => {
    const { peer, viewer } = pair();
    const answer = await peer.answer(await viewer.offer());
    expect(answer).toMatch(/a=sendonly/); // video
    expect(answer).toMatch(/VP8\/90000/);
    expect(answer).toMatch(/opus\/48000\/2/i);
    expect(answer).toMatch(/a=candidate:/); // gathered before answering
    await viewer.accept(answer);
    await waitFor(() => peer.state === 'connected' && viewer.connected, { what: 'ICE + DTLS' });
    expect(peer.receivesAudio).toBe(true);

    for (let f = 0; f < 5; f++) {
      peer.sendVideo([
        {
          sequenceNumber: 2 * f,
          timestamp: f * 3600,
          marker: false,
          payload: Uint8Array.of(0x90, 0x80, 0x80, f, 1),
        },
        {
          sequenceNumber: 2 * f + 1,
          timestamp: f * 3600,
          marker: true,
          payload: Uint8Array.of(0x80, 0x80, 0x80, f, 2),
        },
      ]);
      peer.sendAudio({
        sequenceNumber: f,
        timestamp: f * 960,
        marker: false,
        payload: Uint8Array.of(0xf8, 0xff, 0xfe),
      });
    }
    await waitFor(() => viewer.video.frames === 5 && viewer.audio.packets === 5, {
      what: 'media at the viewer',
    });
    expect(viewer.video.timestamps).toEqual([0, 3600, 7200, 10800, 14400]);
    expect(viewer.audio.timestamps).toEqual([0, 960, 1920, 2880, 3840]);
    expect(viewer.video.payloadType).toBeGreaterThan(95); // the negotiated dynamic type, set by the sender

    const mic: IncomingAudioPacket[] = [];
    peer.on('micPacket', (p) => mic.push(p));
    const opus = new OpusEncoder();
    const packets = opus.process(new Float32Array(960 * 3).fill(0.1));
    opus.close();
    for (const [i, p] of packets.entries()) viewer.sendMic(p, i * 960);
    await waitFor(() => mic.length === 3, { what: 'mic packets' });
    expect(mic.map((m) => m.timestamp)).toEqual([0, 960, 1920]);
    expect(Array.from(mic[0]!.payload)).toEqual(Array.from(packets[0]!));
    expect(peer.toJSON()).toMatchObject({
      state: 'connected',
      videoPackets: 10,
      audioPackets: 5,
      micPackets: 3,
    });
  });

  it('refuses a second offer without disturbing the negotiated session', async () => {
    const { peer, viewer } = pair();
    await viewer.accept(await peer.answer(await viewer.offer()));
    await waitFor(() => peer.state === 'connected', { what: 'connected' });
    const other = new TestViewer();
    cleanups.push(() => other.close());
    await expect(peer.answer(await other.offer())).rejects.toMatchObject({
      code: 'TRANSPORT_RENEGOTIATION_UNSUPPORTED',
    });
    peer.sendVideo([
      {
        sequenceNumber: 1,
        timestamp: 0,
        marker: true,
        payload: Uint8Array.of(0x90, 0x80, 0x80, 0, 1),
      },
    ]);
    await waitFor(() => viewer.video.frames === 1, { what: 'video after the refused offer' });
    expect(peer.state).toBe('connected');
  });

  it('answers bad offers with typed errors', async () => {
    const noSdp = new AvatarPeer();
    cleanups.push(() => noSdp.close());
    await expect(noSdp.answer('hello')).rejects.toMatchObject({ code: 'TRANSPORT_BAD_SDP' });

    const { peer, viewer } = pair({ withVideo: false });
    await expect(peer.answer(await viewer.offer())).rejects.toMatchObject({
      code: 'TRANSPORT_NEGOTIATION_FAILED',
    });
  });

  it('declares a viewer that goes silent failed, and closes idempotently', async () => {
    const { peer, viewer } = pair({}, 3000);
    const states: string[] = [];
    peer.on('state', (s) => states.push(s));
    await viewer.accept(await peer.answer(await viewer.offer()));
    await waitFor(() => peer.state === 'connected', { what: 'connected' });
    // A werift viewer sends RTCP reports for what it receives; keep it fed, then vanish.
    const feed = setInterval(() => {
      peer.sendVideo([
        {
          sequenceNumber: 0,
          timestamp: 0,
          marker: true,
          payload: Uint8Array.of(0x90, 0x80, 0x80, 0, 1),
        },
      ]);
    }, 100);
    const connectedAt = performance.now();
    // past the silence timeout, the viewer's RTCP reports keep the peer alive
    await waitFor(() => performance.now() - connectedAt > 4000, { what: '4 s' });
    clearInterval(feed);
    expect(peer.state).toBe('connected');
    expect(peer.lastHeardAt).toBeGreaterThan(connectedAt + 500);
    await viewer.close();
    await waitFor(() => peer.state === 'failed', { what: 'peer noticing the viewer left' });
    let closes = 0;
    peer.on('close', () => closes++);
    await Promise.all([peer.close(), peer.close()]);
    expect(closes).toBe(1);
    expect(peer.closed).toBe(true);
    await expect(peer.answer('v=0\nm=video')).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(states).toContain('connected');
  });
});
