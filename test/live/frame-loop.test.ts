import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FrameLoop,
  type FrameSink,
  LivePipeline,
  LiveStats,
  MediaClock,
  type RenderPort,
  type RgbFrame,
  SpeechQueue,
} from '../../src/live/index.ts';
import { BrightnessRenderer, ScriptedMotion } from '../helpers/stages.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Records what the loop sends, stamping it the way MediaOutput does. */
class RecordingSink implements FrameSink {
  readonly clock = new MediaClock({ videoBase: 17, audioBase: 4_294_967_000 });
  voiceSamples16k = 0;
  voiceCalls = 0;
  pictures = 0;
  refuseEvery = 0;
  /** For each picture: video and audio RTP time (s) of its frame, and the wall time sent. */
  readonly checks: { frameIndex: number; videoS: number; audioS: number; wallMs: number }[] = [];
  worstSkewS = 0;

  sendVoice(samples: Float32Array): number {
    this.voiceSamples16k += samples.length;
    this.voiceCalls++;
    return 2;
  }

  sendFrame(_frame: RgbFrame, frameIndex: number): boolean {
    if (this.refuseEvery && frameIndex % this.refuseEvery === 0) return false;
    this.pictures++;
    // The voice of frame k is the last voice sent when its picture goes out: it started at
    // 48 kHz sample (voice so far − one frame).
    const voiceStart48k = (this.voiceSamples16k - 640) * 3;
    const videoS = ((this.clock.videoTimestamp(frameIndex) - 17 + 2 ** 32) % 2 ** 32) / 90_000;
    const audioS =
      ((this.clock.audioTimestamp(voiceStart48k) - this.clock.audioBase + 2 ** 32) % 2 ** 32) /
      48_000;
    this.worstSkewS = Math.max(this.worstSkewS, Math.abs(videoS - audioS));
    if (frameIndex % 9000 === 1)
      this.checks.push({ frameIndex, videoS, audioS, wallMs: performance.now() });
    return true;
  }
}

function makeLoop(
  sink: RecordingSink,
  lookAheadSamples = 1480,
  renderer: RenderPort = new BrightnessRenderer(8),
) {
  const speech = new SpeechQueue();
  const stats = new LiveStats();
  const errors: unknown[] = [];
  const pipeline = new LivePipeline({ motion: new ScriptedMotion(lookAheadSamples), speech });
  const loop = new FrameLoop({
    pipeline,
    renderer,
    sink,
    stats,
    onError: (e) => errors.push(e),
  });
  return { loop, speech, stats, errors, pipeline };
}

describe('FrameLoop (fake clock)', () => {
  it('runs two hours at 25 fps with audio and video on the same media time, without drift', async () => {
    const sink = new RecordingSink();
    sink.refuseEvery = 50; // a busy encoder now and then: pictures drop, audio does not
    const { loop, stats, errors } = makeLoop(sink);
    const start = performance.now();
    loop.start();
    await vi.advanceTimersByTimeAsync(2 * 3600_000);
    loop.stop();
    expect(errors).toEqual([]);
    const ticks = (2 * 3600_000) / 20 + 1; // tick 0 at t = 0 … tick 360 000 at t = 2 h
    expect(loop.nextTick).toBe(ticks);
    // every frame's voice went out; frame k needs 92.5 ms past its instant (ScriptedMotion)
    const frames = Math.floor((ticks * 320 - 1480) / 640) + 1;
    expect(frames).toBe(179_999);
    expect(sink.voiceCalls).toBe(frames);
    expect(sink.voiceSamples16k).toBe(frames * 640);
    // each picture left with its own voice: identical media time on both RTP clocks
    expect(sink.worstSkewS).toBeLessThan(1e-9);
    expect(sink.pictures).toBe(frames - Math.ceil(frames / 50));
    expect(stats.toJSON(performance.now(), start).framesDropped).toBe(Math.ceil(frames / 50));
    // media time stays locked to wall time: frame k leaves at start + k × 40 + 80 ms
    // (the tick where the model has 92.5 ms past the frame's instant)
    for (const c of sink.checks) {
      expect(c.wallMs - start).toBeCloseTo(c.frameIndex * 40 + 80, 6);
      expect(c.videoS).toBeCloseTo((c.frameIndex * 40) / 1000, 9);
    }
    expect(sink.checks.at(-1)!.frameIndex).toBe(171_001);
  }, 120_000);

  it('drops the older pictures of a late tick but computes and voices every frame', async () => {
    const sink = new RecordingSink();
    const { loop, stats, pipeline } = makeLoop(sink, 640); // a frame as soon as its 40 ms are in
    loop.start();
    await vi.advanceTimersByTimeAsync(20);
    expect(sink.pictures).toBe(1); // ticks 0, 1: frame 0
    // The event loop is blocked for 200 ms: the next tick wakes 200 ms late and finds
    // ticks 2–12 due at once.
    const realNow = performance.now;
    let offset = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => realNow.call(performance) + offset);
    offset = 200;
    await vi.advanceTimersByTimeAsync(21);
    expect(pipeline.toJSON().samplesFed).toBe(13 * 320); // every tick's speech, none skipped
    expect(sink.voiceCalls).toBe(6); // frames 0..5 all voiced
    expect(sink.pictures).toBe(2); // frame 0, then only the newest of frames 1..5
    expect(stats.toJSON(performance.now(), 0).framesDropped).toBe(4);
    loop.stop();
    expect(loop.hasTimer).toBe(false);
  });

  it('with a slow async renderer keeps one frame waiting (drop-oldest) and voices every frame', async () => {
    const sink = new RecordingSink();
    const renderer = new BrightnessRenderer(8);
    let inFlight = 0;
    let maxInFlight = 0;
    // a worker-thread renderer that needs 100 ms per picture: 2.5 frame periods
    const slow = {
      width: 8,
      height: 8,
      render: (c: Parameters<BrightnessRenderer['render']>[0]) =>
        new Promise<RgbFrame>((resolve) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          setTimeout(() => {
            inFlight--;
            resolve(renderer.render(c));
          }, 100);
        }),
      close() {},
    };
    const { loop, stats, errors } = makeLoop(sink, 640, slow);
    loop.start();
    await vi.advanceTimersByTimeAsync(10_000);
    loop.stop();
    expect(errors).toEqual([]);
    const frames = Math.floor((500 * 320 + 320) / 640); // 250 frames in 10 s
    expect(maxInFlight).toBe(1);
    expect(sink.pictures).toBeGreaterThanOrEqual(99); // one per 100 ms
    expect(sink.pictures).toBeLessThanOrEqual(101);
    expect(sink.voiceCalls).toBeGreaterThanOrEqual(frames - 3); // all but the last few held ones
    expect(sink.worstSkewS).toBeLessThan(1e-9); // each picture still leaves with its voice
    expect(stats.toJSON(performance.now(), 0).framesDropped + sink.pictures).toBeGreaterThanOrEqual(
      frames - 3,
    );
  });

  it('sends the voice even while the renderer is stuck (after maxVoiceHoldMs)', async () => {
    const sink = new RecordingSink();
    const stuck = {
      width: 8,
      height: 8,
      render: () => new Promise<RgbFrame>(() => {}),
      close() {},
    };
    const { loop } = makeLoop(sink, 640, stuck);
    loop.start();
    await vi.advanceTimersByTimeAsync(2000);
    loop.stop();
    expect(sink.pictures).toBe(0);
    // 50 frames became ready in 2 s; all but those younger than 80 ms were voiced
    expect(sink.voiceCalls).toBeGreaterThanOrEqual(47);
    expect(loop.heldVoices).toBeLessThanOrEqual(3);
  });

  it('an interrupt silences the voices still waiting for their picture', async () => {
    const sink = new RecordingSink();
    const voices: Float32Array[] = [];
    const sendVoice = sink.sendVoice.bind(sink);
    sink.sendVoice = (samples) => {
      voices.push(samples.slice());
      return sendVoice(samples);
    };
    const stuck = {
      width: 8,
      height: 8,
      render: () => new Promise<RgbFrame>(() => {}),
      close() {},
    };
    const { loop, speech } = makeLoop(sink, 640, stuck);
    speech.pushQueued(new Float32Array(16_000).fill(0.3), performance.now());
    loop.start();
    await vi.advanceTimersByTimeAsync(400);
    const held = loop.heldVoices;
    expect(held).toBeGreaterThan(0); // the renderer is stuck: voices wait (≤ 80 ms)
    const before = voices.length;
    expect(loop.silenceHeldVoices()).toBe(held);
    await vi.advanceTimersByTimeAsync(300);
    loop.stop();
    // the held voices went out silent; without the call they would have carried speech
    const released = voices.slice(before, before + held);
    expect(released.length).toBe(held);
    for (const v of released) expect(Math.max(...v.map(Math.abs))).toBe(0);
    expect(voices.slice(before + held).some((v) => v.some((x) => x !== 0))).toBe(true);
  });

  it('stops on a stage error and reports it', async () => {
    const sink = new RecordingSink();
    const { loop, errors } = makeLoop(sink, 640);
    sink.sendFrame = () => {
      throw new Error('render exploded');
    };
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    expect(loop.running).toBe(false);
    expect(loop.hasTimer).toBe(false);
  });
});
