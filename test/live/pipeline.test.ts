import { describe, expect, it } from 'vitest';
import { LivePipeline, SpeechQueue } from '../../src/live/index.ts';
import { ScriptedMotion } from '../helpers/stages.ts';

const block = (value: number) => new Float32Array(640).fill(value);

describe('LivePipeline', () => {
  it('pairs each Controls frame with the voice it was computed from, across the look-ahead', async () => {
    const speech = new SpeechQueue();
    const pipeline = new LivePipeline({ motion: new ScriptedMotion(2), speech });
    for (const v of [0.1, 0.2, 0.3, 0.4]) speech.pushQueued(block(v), v * 100);
    const out = [];
    for (let i = 0; i < 5; i++) out.push(...(await pipeline.advance()));
    // two frames of look-ahead: five inputs give three outputs, frames 0, 1, 2
    expect(out.map((f) => f.frameIndex)).toEqual([0, 1, 2]);
    expect(out.map((f) => f.voice[0])).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    expect(out.map((f) => f.arrivalMs)).toEqual([10, 20, 30]);
    expect(out.every((f) => f.speech)).toBe(true);
    // jawOpen follows the block's loudness (ScriptedMotion): louder voice, wider mouth
    expect(out[2]!.controls.blendshapes.jawOpen).toBeGreaterThan(
      out[0]!.controls.blendshapes.jawOpen,
    );
    expect(pipeline.pendingFrames).toBe(2);
  });

  it('interrupt silences the frames still inside the look-ahead and resets motion', async () => {
    const speech = new SpeechQueue();
    const motion = new ScriptedMotion(2);
    const pipeline = new LivePipeline({ motion, speech });
    speech.pushQueued(new Float32Array(640 * 10).fill(0.3), 0);
    await pipeline.advance();
    await pipeline.advance();
    expect(pipeline.speaking).toBe(true);
    const dropped = pipeline.interrupt();
    expect(dropped).toBe(8 * 40 + 2 * 40); // 8 queued frames + 2 in the look-ahead
    expect(motion.interrupts).toBe(1);
    const next = await pipeline.advance();
    expect(next).toHaveLength(1);
    expect(next[0]!.speech).toBe(false);
    expect(next[0]!.voice.every((v) => v === 0)).toBe(true);
    expect(next[0]!.controls.blendshapes.jawOpen).toBe(0);
    expect(pipeline.speaking).toBe(false);
  });

  it('does not voice the microphone when echoMic is off, but still animates it', async () => {
    const speech = new SpeechQueue();
    const pipeline = new LivePipeline({ motion: new ScriptedMotion(0), speech, echoMic: false });
    speech.pushLive(block(0.3), 5);
    const [frame] = await pipeline.advance();
    expect(frame!.speech).toBe(true);
    expect(frame!.voice.every((v) => v === 0)).toBe(true);
    expect(frame!.controls.blendshapes.jawOpen).toBeGreaterThan(0.5);
    speech.pushQueued(block(0.3), 6); // pushed/TTS speech is always voiced
    expect((await pipeline.advance())[0]!.voice[0]).toBeCloseTo(0.3, 6);
  });

  it('keeps at most maxPendingFrames waiting on a motion runtime that stalls', async () => {
    const speech = new SpeechQueue();
    const silentMotion = { process: () => [], interrupt() {}, close() {} };
    const pipeline = new LivePipeline({ motion: silentMotion, speech, maxPendingFrames: 3 });
    for (let i = 0; i < 10; i++) await pipeline.advance();
    expect(pipeline.pendingFrames).toBe(3);
    expect(pipeline.toJSON().droppedPending).toBe(7);
  });
});
