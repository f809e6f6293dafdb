import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import type { ControlsFrame } from '../../src/controls/index.ts';
import {
  Conversation,
  ListenerMotion,
  LivePipeline,
  rmsDbfs,
  SpeechQueue,
} from '../../src/live/index.ts';
import { MotionModel } from '../../src/motion/index.ts';
import { fixture } from '../helpers/media.ts';

// The real motion model (models/motion) with no speech of its own, as in a `mic: 'listen'`
// session: the user's microphone only drives the conversation state, and the listener pose is
// applied to the model's idle life. Idle and listening runs use the same seed.

const SECONDS = 8;
let model: MotionModel;
let mic: Float32Array;
beforeAll(async () => {
  model = await MotionModel.load();
  mic = (await decodeAudioFile(fixture('speech/jfk.wav'))).samples;
});
afterAll(() => model.close());

async function run(withMic: boolean): Promise<{ frames: ControlsFrame[]; states: string[] }> {
  const stream = model.createStream({ seed: 5 });
  const conversation = new Conversation();
  const listener = new ListenerMotion({ seed: 5 });
  const pipeline = new LivePipeline({
    motion: {
      process: async (pcm) => (await stream.process({ pcm })).frames,
      interrupt: () => stream.interrupt(),
      close: () => stream.close(),
    },
    speech: new SpeechQueue(),
    shape: (controls, frameIndex) => listener.apply(controls, frameIndex),
  });
  const frames: ControlsFrame[] = [];
  const states: string[] = [];
  for (let tick = 0; tick < SECONDS * 50; tick++) {
    const now = tick * 20;
    if (withMic) conversation.micLevel(rmsDbfs(mic.subarray(tick * 320, tick * 320 + 320)), now);
    for (const f of await pipeline.advance(320)) frames.push(f.controls);
    states.push(conversation.step({ speaking: pipeline.speaking }, now));
    listener.listening = conversation.state === 'listening';
  }
  stream.close();
  return { frames: frames.slice(25), states }; // after the first second (the blend-in)
}

const sd = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** Where the eyes point in the world (head + eye rotation), radians from the camera. */
const worldGaze = (f: ControlsFrame) =>
  Math.hypot(
    f.head.yaw + (f.gaze.leftYaw + f.gaze.rightYaw) / 2,
    f.head.pitch + (f.gaze.leftPitch + f.gaze.rightPitch) / 2,
  );
const mouthMax = (frames: ControlsFrame[]) =>
  Math.max(
    ...frames.flatMap((f) =>
      Object.entries(f.blendshapes)
        .filter(([name]) => /^(jaw|mouth)/.test(name) && !/Smile/.test(name))
        .map(([, v]) => v),
    ),
  );

describe('an avatar that listens (real motion model)', () => {
  it('with mic audio in and no avatar speech: nods, looks at the user, mouth closed; idle otherwise', async () => {
    const idle = await run(false);
    const listening = await run(true);
    expect(idle.states.every((s) => s === 'idle')).toBe(true);
    // jfk.wav is speech with pauses shorter than the hangover: listening throughout once it starts
    expect(listening.states.filter((s) => s === 'listening').length).toBeGreaterThan(
      SECONDS * 50 * 0.8,
    );

    // Same seed, same silence into the model: the idle life underneath is identical, so the
    // per-frame difference is the listener's own motion.
    const diff = listening.frames.map(
      (f, k) => f.head.pitch - (idle.frames[k] as ControlsFrame).head.pitch,
    );
    let nods = 0;
    for (let k = 1; k < diff.length; k++)
      if ((diff[k] as number) > 0.08 && (diff[k - 1] as number) <= 0.08) nods++;
    const yawSd = (r: { frames: ControlsFrame[] }) => sd(r.frames.map((f) => f.head.yaw));
    console.info(
      `nods ${nods} in ${SECONDS - 1} s; head pitch SD idle ${sd(idle.frames.map((f) => f.head.pitch)).toFixed(4)}, listening ${sd(listening.frames.map((f) => f.head.pitch)).toFixed(4)} rad; yaw SD idle ${yawSd(idle).toFixed(4)}, listening ${yawSd(listening).toFixed(4)} rad`,
    );
    expect(nods).toBeGreaterThanOrEqual(2);
    expect(nods).toBeLessThanOrEqual(5); // now and then, not a bobblehead
    expect(mean(diff)).toBeGreaterThan(0.03); // the attentive forward lean
    expect(yawSd(listening)).toBeLessThan(0.5 * yawSd(idle)); // faces the user

    const idleGaze = mean(idle.frames.map(worldGaze));
    const listenGaze = mean(listening.frames.map(worldGaze));
    console.info(
      `gaze off the camera idle ${idleGaze.toFixed(4)} rad, listening ${listenGaze.toFixed(4)} rad`,
    );
    expect(listenGaze).toBeLessThan(idleGaze * 0.5);

    expect(mouthMax(listening.frames)).toBeLessThan(0.02);
  }, 120_000);
});
