import { describe, expect, it } from 'vitest';
import { SpeechQueue } from '../../src/live/index.ts';

const ramp = (n: number, from = 1) => Float32Array.from({ length: n }, (_, i) => (from + i) / 1e5);

describe('SpeechQueue', () => {
  it('takes fixed blocks across chunk boundaries, zero-padding when short', () => {
    const q = new SpeechQueue();
    q.pushQueued(ramp(500), 10);
    q.pushQueued(ramp(500, 501), 20);
    const a = q.take(640);
    expect(Array.from(a.samples)).toEqual(Array.from(ramp(640)));
    expect(a).toMatchObject({ speechSamples: 640, arrivalMs: 20, lane: 'queued' });
    const b = q.take(640);
    expect(b.speechSamples).toBe(360);
    expect(Array.from(b.samples.subarray(360))).toEqual(new Array(280).fill(0));
    expect(q.take(640)).toMatchObject({ speechSamples: 0, arrivalMs: undefined, lane: 'none' });
  });

  it('refuses a queued push beyond its limit whole, keeping what was queued', () => {
    const q = new SpeechQueue({ maxQueuedMs: 100 });
    q.pushQueued(new Float32Array(1200), 0); // 75 ms
    expect(() => q.pushQueued(new Float32Array(800), 0)).toThrow(
      expect.objectContaining({ code: 'LIVE_SPEECH_BACKLOG' }),
    );
    expect(q.queuedMs).toBe(75);
    expect(q.toJSON().refusedMs).toBe(50);
  });

  it('drops the oldest live audio beyond the lag limit', () => {
    const q = new SpeechQueue({ maxLiveLagMs: 50 }); // 800 samples
    q.pushLive(ramp(600), 1);
    q.pushLive(ramp(600, 601), 2);
    expect(q.liveMs).toBe(50);
    expect(q.toJSON().droppedLiveMs).toBe(25);
    const block = q.take(800);
    expect(block.samples[0]).toBeCloseTo(401 / 1e5, 9); // the first 400 samples were dropped
    expect(block.lane).toBe('live');
  });

  it('counts latency of queued speech from when it was due, of the microphone from arrival', () => {
    const q = new SpeechQueue();
    q.pushQueued(new Float32Array(3200), 1000); // a 200 ms TTS burst at t = 1000
    expect(q.take(320, 1000).firstArrivalMs).toBe(1000);
    expect(q.take(320, 1020).firstArrivalMs).toBe(1020); // waited in the playlist on purpose
    q.pushLive(new Float32Array(320), 900);
    q.clear();
    q.pushLive(new Float32Array(320), 900);
    expect(q.take(320, 2000)).toMatchObject({ firstArrivalMs: 900, lane: 'live' });
  });

  it('cuts a standing microphone backlog back to the target after a while', () => {
    const q = new SpeechQueue({ liveTargetMs: 40, livePatienceTakes: 5 });
    q.pushLive(new Float32Array(16 * 100), 0); // a stall left 100 ms behind
    for (let i = 0; i < 4; i++) {
      q.pushLive(new Float32Array(320), i); // 20 ms arrives, 20 ms is taken: the backlog stays
      q.take(320);
      expect(q.liveMs).toBe(100);
    }
    q.pushLive(new Float32Array(320), 4);
    q.take(320); // the 5th take in a row above 40 ms: cut back
    expect(q.liveMs).toBe(40);
    expect(q.toJSON().droppedLiveMs).toBe(60);
    q.pushLive(new Float32Array(320), 5);
    q.take(320);
    expect(q.liveMs).toBe(40); // at the target: left alone
  });

  it('prefers queued speech over the microphone and clears both on interrupt', () => {
    const q = new SpeechQueue();
    q.pushLive(new Float32Array(640).fill(0.5), 1);
    q.pushQueued(new Float32Array(640).fill(0.25), 2);
    expect(q.take(640)).toMatchObject({ lane: 'queued' });
    expect(q.take(640)).toMatchObject({ lane: 'live' });
    q.pushLive(new Float32Array(320), 3);
    q.pushQueued(new Float32Array(1600), 4);
    expect(q.clear()).toBe(120);
    expect(q.toJSON()).toMatchObject({ queuedMs: 0, liveMs: 0, interruptedMs: 120 });
  });
});
