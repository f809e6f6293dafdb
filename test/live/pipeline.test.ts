import { describe, expect, it } from 'vitest';
import { LivePipeline, type ReadyFrame, SpeechQueue } from '../../src/live/index.ts';
import { ScriptedMotion } from '../helpers/stages.ts';

const block = (value: number, n = 640) => new Float32Array(n).fill(value);

async function run(pipeline: LivePipeline, ticks: number): Promise<ReadyFrame[][]> {
  const out: ReadyFrame[][] = [];
  for (let i = 0; i < ticks; i++) out.push(await pipeline.advance());
  return out;
}

describe('LivePipeline', () => {
  it('lets frame k out as soon as the model has its look-ahead, paired with the voice of its 40 ms', async () => {
    const speech = new SpeechQueue();
    // the real model needs 92.5 ms past a frame's instant
    const pipeline = new LivePipeline({ motion: new ScriptedMotion(1480), speech });
    [0.1, 0.2, 0.3, 0.4].forEach((v, i) => {
      speech.pushQueued(block(v), 100 + i);
    });
    const perTick = await run(pipeline, 8); // 8 × 20 ms = 160 ms fed
    // frame 0 needs 1480 samples: out at the 5th tick (1600 fed, 100 ms), then one every 2 ticks
    expect(perTick.map((t) => t.map((f) => f.frameIndex))).toEqual([
      [],
      [],
      [],
      [],
      [0],
      [],
      [1],
      [],
    ]);
    const frames = perTick.flat();
    expect(frames.map((f) => f.voice[0])).toEqual([0.1, 0.2].map(Math.fround));
    expect(frames.every((f) => f.voice.length === 640 && f.speech)).toBe(true);
    // the latency clock starts at the arrival of the frame's first sample
    expect(frames.map((f) => f.arrivalMs)).toEqual([100, 101]);
    // louder voice, wider mouth (ScriptedMotion follows the RMS of the frame's 40 ms)
    expect(frames[1]!.controls.blendshapes.jawOpen).toBeGreaterThan(
      frames[0]!.controls.blendshapes.jawOpen,
    );
    expect(pipeline.pendingFrames).toBe(2); // frames 2 and 3 wait for their look-ahead
  });

  it('interrupt: silent at once, motion reset at the next frame boundary, discarded frames held', async () => {
    const speech = new SpeechQueue();
    const motion = new ScriptedMotion(1480);
    const pipeline = new LivePipeline({ motion, speech });
    speech.pushQueued(block(0.3, 640 * 10), 0);
    const before = (await run(pipeline, 7)).flat(); // 140 ms: frames 0, 1 out
    expect(before.map((f) => f.frameIndex)).toEqual([0, 1]);
    expect(pipeline.speaking).toBe(true);
    const dropped = pipeline.interrupt();
    expect(dropped).toBe(260 + 60); // 260 ms still queued + frame 2 and half of frame 3 in the look-ahead
    expect(speech.queuedMs).toBe(0);
    // mid-frame (140 ms fed): one more tick completes frame 3 (silence), then the reset
    const t1 = await pipeline.advance();
    expect(t1).toEqual([]);
    expect(motion.interrupts).toBe(0);
    const t2 = await pipeline.advance();
    expect(motion.interrupts).toBe(1);
    // frames 2 and 3 were inside the model's look-ahead: held at the last pose, without voice
    expect(t2.map((f) => f.frameIndex)).toEqual([2, 3]);
    expect(t2.every((f) => !f.speech && f.voice.every((v) => v === 0))).toBe(true);
    expect(t2[0]!.controls).toBe(before[1]!.controls);
    expect(pipeline.toJSON().heldFrames).toBe(2);
    // the model restarted on the frame grid: frame 4 comes out after its own look-ahead
    const after = (await run(pipeline, 6)).flat();
    expect(after.map((f) => f.frameIndex)).toEqual([4, 5]);
    expect(after.every((f) => f.controls.blendshapes.jawOpen === 0)).toBe(true);
  });

  it('does not voice the microphone when echoMic is off, but still animates it', async () => {
    const speech = new SpeechQueue();
    const pipeline = new LivePipeline({ motion: new ScriptedMotion(640), speech, echoMic: false });
    speech.pushLive(block(0.3), 5);
    const [frame] = (await run(pipeline, 2)).flat();
    expect(frame!.speech).toBe(true);
    expect(frame!.voice.every((v) => v === 0)).toBe(true);
    expect(frame!.controls.blendshapes.jawOpen).toBeGreaterThan(0.5);
    speech.pushQueued(block(0.3), 6); // pushed/TTS speech is always voiced
    expect((await run(pipeline, 2)).flat()[0]!.voice[0]).toBeCloseTo(0.3, 6);
  });

  it('fails loudly on a motion runtime that stops returning frames', async () => {
    const speech = new SpeechQueue();
    const silentMotion = { process: () => [], interrupt() {}, close() {} };
    const pipeline = new LivePipeline({ motion: silentMotion, speech, maxPendingFrames: 3 });
    await run(pipeline, 6); // 3 frames pending: allowed
    await expect(run(pipeline, 2)).rejects.toMatchObject({ code: 'LIVE_PIPELINE_FAILED' });
  });
});
