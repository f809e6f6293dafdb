import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  animateBody,
  BODY_INPUT_COUNT,
  BODY_NOISE_CHANNELS,
  BODY_OUTPUT_COUNT,
  BodyError,
  BodyFeatures,
  BodyModel,
  BodyNoise,
  BodyStream,
  bodyTargets,
  DEFAULT_BODY_MODEL_DIR,
} from '../../src/body/index.ts';
import {
  type ControlsFrame,
  type ControlsSequence,
  neutralFrame,
} from '../../src/controls/index.ts';
import { computeLogMel, readNpy } from '../../src/features/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';

let model: BodyModel;
let speech: Float32Array;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  model = await BodyModel.load();
  speech = (await decodeAudioFile(fixture('speech/jfk.wav'))).samples;
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await model?.close();
  await cleanup?.();
});

/** Neutral Controls for `frames` frames (the face stage's output stands in). */
function still(frames: number): ControlsSequence {
  return {
    format: 'facecast.controls',
    version: 1,
    fps: 25,
    frames: Array.from({ length: frames }, () => neutralFrame()),
  };
}

/** Arms' mean speed (shoulder widths per frame) over a frame range. */
function armSpeed(sequence: ControlsSequence, from: number, to: number): number {
  const rows = bodyTargets(sequence.frames);
  let sum = 0;
  for (let f = from + 1; f < to; f++) {
    let s = 0;
    for (let c = 5; c < BODY_OUTPUT_COUNT; c++) {
      const d =
        (rows[f * BODY_OUTPUT_COUNT + c] as number) -
        (rows[(f - 1) * BODY_OUTPUT_COUNT + c] as number);
      s += d * d;
    }
    sum += Math.sqrt(s);
  }
  return sum / (to - from - 1);
}

describe('body features and noise', () => {
  it('loudness is level-independent and onsets mark the start of sound', () => {
    const tone = new Float32Array(16_000 * 2);
    for (let i = 16_000; i < tone.length; i++)
      tone[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16_000);
    tone[0] = 1e-4; // not digital silence
    const loud = new BodyFeatures().process(computeLogMel(tone), 50);
    const quiet = new BodyFeatures().process(computeLogMel(tone.map((v) => v * 0.05)), 50);
    const at = (f: Float32Array, frame: number, k: number) => f[frame * 18 + k] as number;
    expect(at(loud, 40, 0)).toBeGreaterThan(0.9);
    expect(Math.abs(at(loud, 40, 0) - at(quiet, 40, 0))).toBeLessThan(0.02);
    // The onset at 1 s (frame 25) is the largest rise.
    const onsets = Array.from({ length: 50 }, (_, f) => at(loud, f, 1));
    expect(onsets.indexOf(Math.max(...onsets))).toBeGreaterThanOrEqual(24);
    expect(onsets.indexOf(Math.max(...onsets))).toBeLessThanOrEqual(26);
  });

  it('noise is seeded, smooth and of unit variance', () => {
    const draw = (seed: number, n: number) => {
      const noise = new BodyNoise(seed);
      const out = new Float32Array(n * BODY_NOISE_CHANNELS);
      for (let f = 0; f < n; f++) noise.next(out, f * BODY_NOISE_CHANNELS);
      return out;
    };
    expect(draw(7, 100)).toEqual(draw(7, 100));
    expect(draw(8, 100)).not.toEqual(draw(7, 100));
    const long = draw(3, 20_000);
    let sq = 0;
    let lag = 0;
    for (let i = 0; i < long.length; i++) {
      sq += (long[i] as number) ** 2;
      if (i >= BODY_NOISE_CHANNELS)
        lag += (long[i] as number) * (long[i - BODY_NOISE_CHANNELS] as number);
    }
    expect(sq / long.length).toBeGreaterThan(0.85);
    expect(sq / long.length).toBeLessThan(1.15);
    expect(lag / sq).toBeGreaterThan(0.9); // exp(−1/15) ≈ 0.94 per 40 ms frame
  });
});

describe('BodyModel (models/body)', () => {
  it('reproduces the PyTorch outputs on the parity fixture', async () => {
    const parity = model.manifest.parity as {
      fixture: string;
      expected: string;
      tolerance: number;
    };
    const x = await readNpy(parity.fixture);
    const y = await readNpy(parity.expected);
    const frames = x.shape[0] as number;
    expect(x.shape[1]).toBe(BODY_INPUT_COUNT);
    const out = await model.run(Float32Array.from(x.data as Float32Array), frames);
    let max = 0;
    out.forEach((v, i) => {
      max = Math.max(max, Math.abs(v - (y.data[i] as number)));
    });
    expect(max).toBeLessThan(parity.tolerance);
  });

  it('moves the arms more while speaking than in the silence after, differently per seed', async () => {
    const audio = new Float32Array(speech.length + 16_000 * 3);
    audio.set(speech);
    const frames = Math.floor(audio.length / 640);
    const speechFrames = Math.floor(speech.length / 640);
    const a = await animateBody(model, still(frames), audio, { seed: 1 });
    const again = await animateBody(model, still(frames), audio, { seed: 1 });
    const b = await animateBody(model, still(frames), audio, { seed: 2 });
    expect(bodyTargets(again.frames)).toEqual(bodyTargets(a.frames));
    expect(bodyTargets(b.frames)).not.toEqual(bodyTargets(a.frames));
    for (const s of [a, b]) {
      const speaking = armSpeed(s, 25, speechFrames);
      const silent = armSpeed(s, speechFrames + 25, frames);
      expect(speaking).toBeGreaterThan(1.2 * silent); // idle sway would give 1.0
    }
    // Plausible amounts: wrists within a shoulder width of rest, neck within 0.2 rad.
    for (const f of a.frames) {
      expect(Math.abs(f.body.leftWrist.y)).toBeLessThan(1);
      expect(Math.abs(f.body.neck.roll)).toBeLessThan(0.2);
    }
  });

  it('BodyStream chunk by chunk gives what animateBody gives on the whole audio', async () => {
    const frames = Math.floor(speech.length / 640);
    const whole = await animateBody(model, still(frames), speech, { seed: 4 });
    const stream = new BodyStream(model, { seed: 4 });
    const input = still(frames).frames;
    const out: ControlsFrame[] = [];
    // Uneven chunks; frames offered as the motion stream would (a little behind the audio).
    let given = 0;
    for (let at = 0, k = 0; at < speech.length; k++) {
      const size = [4000, 1234, 9999, 320][k % 4] as number;
      stream.pushAudio(speech.subarray(at, Math.min(speech.length, at + size)));
      at += size;
      const upTo = Math.min(frames, Math.floor(at / 640) - 2);
      if (upTo > given) {
        out.push(...(await stream.process(input.slice(given, upTo))));
        given = upTo;
      }
    }
    stream.endAudio();
    out.push(...(await stream.process(input.slice(given))));
    expect(out.length).toBe(frames);
    const a = bodyTargets(whole.frames);
    const b = bodyTargets(out);
    let max = 0;
    a.forEach((v, i) => {
      max = Math.max(max, Math.abs(v - (b[i] as number)));
    });
    expect(max).toBeLessThan(1e-5);
    stream.close();
    expect(() => stream.pushAudio(new Float32Array(10))).toThrow(BodyError);
  });

  it('sways the torso more while speaking, within real speakers’ range, and not without sway', async () => {
    const audio = new Float32Array(16_000 * 20);
    audio.set(speech); // 11 s of speech, then 9 s of silence
    const frames = Math.floor(audio.length / 640);
    const speechFrames = Math.floor(speech.length / 640);
    const sd = (s: ControlsSequence, from: number, to: number) => {
      const mid = s.frames
        .slice(from, to)
        .map((f) => (f.body.leftShoulder.x + f.body.rightShoulder.x) / 2);
      const mean = mid.reduce((p, q) => p + q, 0) / mid.length;
      return Math.sqrt(mid.reduce((p, q) => p + (q - mean) ** 2, 0) / mid.length);
    };
    const speakingSd: number[] = [];
    const silentSd: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const s = await animateBody(model, still(frames), audio, { seed });
      speakingSd.push(sd(s, 25, speechFrames));
      silentSd.push(sd(s, speechFrames + 50, frames));
    }
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    // Real speakers: 0.2–1.5 % of the frame width ≈ 0.006–0.04 shoulder widths.
    expect(mean(speakingSd)).toBeGreaterThan(0.006);
    expect(mean(speakingSd)).toBeLessThan(0.04);
    expect(mean(speakingSd)).toBeGreaterThan(1.3 * mean(silentSd));
    const plain = await animateBody(model, still(frames), audio, { seed: 1, sway: false });
    expect(sd(plain, 25, speechFrames)).toBeLessThan(0.003);
    // The arms are carried: each frame's sway moves the elbows and wrists as the shoulders.
    const swayed = await animateBody(model, still(frames), audio, { seed: 1 });
    swayed.frames.forEach((f, i) => {
      const p = plain.frames[i]?.body;
      if (!p) return;
      const shift = f.body.leftShoulder.x - p.leftShoulder.x;
      expect(f.body.rightElbow.x - p.rightElbow.x).toBeCloseTo(shift, 6);
      expect(f.body.leftWrist.x - p.leftWrist.x).toBeCloseTo(shift, 6);
    });
  });

  it('rejects bad input and bad model folders with stable codes', async () => {
    const error = await animateBody(
      model,
      still(10),
      new Float32Array(6400).fill(Number.NaN),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyError);
    expect((error as BodyError).code).toBe('BODY_BAD_INPUT');
    const missing = await BodyModel.load({ modelDir: join(dir, 'none') }).catch((e: unknown) => e);
    expect((missing as BodyError).code).toBe('BODY_MODEL_MISSING');
    const tampered = join(dir, 'tampered');
    await mkdir(tampered);
    const manifest = JSON.parse(
      await readFile(join(DEFAULT_BODY_MODEL_DIR, 'manifest.json'), 'utf8'),
    );
    await writeFile(
      join(tampered, 'manifest.json'),
      JSON.stringify({ ...manifest, sha256: '0'.repeat(64) }),
    );
    await copyFile(join(DEFAULT_BODY_MODEL_DIR, manifest.file), join(tampered, manifest.file));
    const invalid = await BodyModel.load({ modelDir: tampered }).catch((e: unknown) => e);
    expect((invalid as BodyError).code).toBe('BODY_MODEL_INVALID');
  });
});
