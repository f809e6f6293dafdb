import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  ACCENT_DEFAULTS,
  accentFrames,
  addBodyRows,
  animateBody,
  BeatAccent,
  BODY_AUDIO_FEATURES,
  BodyModel,
  BodyStream,
  bodyAudioFeatures,
  bodyInputs,
  bodyTargets,
} from '../../src/body/index.ts';
import {
  type ControlsFrame,
  type ControlsSequence,
  neutralFrame,
} from '../../src/controls/index.ts';
import { fixture } from '../helpers/media.ts';

let model: BodyModel;
let speech: Float32Array;
beforeAll(async () => {
  model = await BodyModel.load();
  speech = (await decodeAudioFile(fixture('speech/jfk.wav'))).samples;
});
afterAll(async () => {
  await model?.close();
});

function still(frames: number): ControlsSequence {
  return {
    format: 'facecast.controls',
    version: 1,
    fps: 25,
    frames: Array.from({ length: frames }, () => neutralFrame()),
  };
}

/** Feature rows: silence, then speech starting at `onsetFrame` (a loud rise), then steady. */
function steppedFeatures(frames: number, onsetFrame: number): Float32Array {
  const rows = new Float32Array(frames * BODY_AUDIO_FEATURES);
  for (let f = onsetFrame; f < frames; f++) {
    rows[f * BODY_AUDIO_FEATURES] = 0.9; // loudness
    rows[f * BODY_AUDIO_FEATURES + 1] = f === onsetFrame ? 1.2 : f === onsetFrame + 1 ? 0.4 : 0;
  }
  return rows;
}

/** Per frame, the wrists' speed (shoulder widths per frame). */
function wristSpeed(frames: readonly ControlsFrame[]): number[] {
  return frames.map((f, i) => {
    const p = frames[Math.max(0, i - 1)] as ControlsFrame;
    return Math.hypot(
      f.body.leftWrist.x - p.body.leftWrist.x,
      f.body.leftWrist.y - p.body.leftWrist.y,
      f.body.rightWrist.x - p.body.rightWrist.x,
      f.body.rightWrist.y - p.body.rightWrist.y,
    );
  });
}

describe('beat accent', () => {
  it('a stroke starts on a speech onset, within a frame of it, and nowhere in silence', () => {
    const frames = 60;
    for (const seed of [1, 2, 3]) {
      const seq = still(frames);
      accentFrames(new BeatAccent(seed), seq.frames, steppedFeatures(frames, 30), 0, frames);
      const speed = wristSpeed(seq.frames);
      const fastest = speed.indexOf(Math.max(...speed));
      expect(Math.abs(fastest - 30)).toBeLessThanOrEqual(1);
      expect(Math.max(...speed)).toBeGreaterThan(0.05);
      expect(Math.max(...speed.slice(0, 30))).toBe(0);
      // Back to rest a second later (the return time constant is 0.1 s).
      expect(Math.abs(seq.frames[frames - 1]?.body.leftWrist.y ?? 1)).toBeLessThan(1e-3);
    }
  });

  it('on speech: strokes land on the onsets, the same per seed, different across seeds', async () => {
    const features = await bodyAudioFeatures(speech);
    const frames = features.length / BODY_AUDIO_FEATURES;
    const run = (seed: number) => {
      const seq = still(frames);
      accentFrames(new BeatAccent(seed), seq.frames, features, 0, frames);
      return seq.frames;
    };
    const a = run(3);
    expect(bodyTargets(run(3))).toEqual(bodyTargets(a));
    expect(bodyTargets(run(4))).not.toEqual(bodyTargets(a));
    // Every stroke start (a rise of the wrist speed from rest) is within a frame of an onset.
    const speed = wristSpeed(a);
    const onsets: number[] = [];
    for (let f = 0; f < frames; f++)
      if ((features[f * BODY_AUDIO_FEATURES + 1] as number) >= ACCENT_DEFAULTS.threshold)
        onsets.push(f);
    let starts = 0;
    for (let f = 1; f < frames; f++) {
      if ((speed[f] as number) > 0.02 && (speed[f - 1] as number) < 1e-4) {
        starts++;
        expect(Math.min(...onsets.map((o) => Math.abs(o - f)))).toBeLessThanOrEqual(1);
      }
    }
    expect(starts).toBeGreaterThan(3);
  });

  it('accent: false leaves the model’s output unchanged; on, it adds the accent', async () => {
    const frames = Math.floor(speech.length / 640);
    const off = await animateBody(model, still(frames), speech, {
      seed: 2,
      sway: false,
      accent: false,
    });
    const features = await bodyAudioFeatures(speech);
    const direct = still(frames);
    addBodyRows(direct.frames, await model.run(bodyInputs(direct, features, 2), frames));
    expect(bodyTargets(off.frames)).toEqual(bodyTargets(direct.frames));
    const on = await animateBody(model, still(frames), speech, { seed: 2, sway: false });
    accentFrames(
      new BeatAccent(2),
      direct.frames,
      features,
      0,
      features.length / BODY_AUDIO_FEATURES,
    );
    expect(bodyTargets(on.frames)).toEqual(bodyTargets(direct.frames));
    expect(bodyTargets(on.frames)).not.toEqual(bodyTargets(off.frames));
  });

  it('the live stream (20 ms chunks) equals the offline path and holds at most one frame more', async () => {
    const frames = Math.floor(speech.length / 640);
    const held: Record<string, number> = {};
    for (const accent of [true, false]) {
      const whole = await animateBody(model, still(frames), speech, { seed: 5, accent });
      const stream = new BodyStream(model, { seed: 5, accent });
      const input = still(frames).frames;
      const out: ControlsFrame[] = [];
      let given = 0;
      let maxHeld = 0;
      for (let at = 0; at < speech.length; ) {
        at = Math.min(speech.length, at + 320);
        stream.pushAudio(speech.subarray(at - 320, at));
        // Each frame is offered as soon as its 40 ms of audio are in.
        const upTo = Math.min(frames, Math.floor(at / 640));
        out.push(...(await stream.process(input.slice(given, upTo))));
        given = Math.max(given, upTo);
        maxHeld = Math.max(maxHeld, given - out.length);
      }
      stream.endAudio();
      out.push(...(await stream.process(input.slice(given))));
      stream.close();
      held[String(accent)] = maxHeld;
      const a = bodyTargets(whole.frames);
      const b = bodyTargets(out);
      expect(out.length).toBe(frames);
      let max = 0;
      a.forEach((v, i) => {
        max = Math.max(max, Math.abs(v - (b[i] as number)));
      });
      expect(max).toBeLessThan(1e-5);
    }
    expect(held.true).toBeLessThanOrEqual((held.false as number) + 1);
    console.info(`frames held (20 ms chunks): accent ${held.true}, no accent ${held.false}`);
  });
});
