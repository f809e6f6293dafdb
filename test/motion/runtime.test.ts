import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { computeLogMel, readNpy } from '../../src/features/index.ts';
import {
  animateAudio,
  DEFAULT_MOTION_MODEL_DIR,
  lipAperture,
  MOTION_OUTPUT_COUNT,
  MotionCore,
  MotionModel,
  motionFrames,
} from '../../src/motion/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';

const C = MOTION_OUTPUT_COUNT;
const B = BLENDSHAPE_INDEX;
const ROOT = new URL('../../', import.meta.url).pathname;

let model: MotionModel;
let jfk: Float32Array;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  model = await MotionModel.load();
  jfk = (await decodeAudioFile(fixture('speech/jfk.wav'))).samples;
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await model.close();
  await cleanup();
});

/** Raw model rows for a signal fed in chunks of the given sizes (cycled), then flushed. */
async function rowsFor(samples: Float32Array, chunks: number[]): Promise<Float32Array> {
  const stream = model.createStream({ idle: false });
  const parts: Float32Array[] = [];
  let at = 0;
  for (let i = 0; at < samples.length; i++) {
    const n = chunks[i % chunks.length] as number;
    parts.push((await stream.process({ pcm: samples.subarray(at, at + n) })).rows);
    at += n;
  }
  parts.push((await stream.flush()).rows);
  stream.close();
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('motion model', () => {
  it('reproduces the PyTorch outputs on the committed fixture (tolerance from the manifest)', async () => {
    const { parity } = model.manifest;
    const expected = await readNpy(join(ROOT, parity.expected));
    const rows = await rowsFor(jfk, [jfk.length]);
    // PyTorch was given the same TypeScript mel; it predicts every frame up to the last mel frame.
    expect(expected.shape).toEqual([rows.length / C, C]);
    expect(maxAbsDiff(rows, expected.data)).toBeLessThan(parity.tolerance);
    expect(parity.tolerance).toBeLessThanOrEqual(1e-4);
  });

  it('streams chunks of any size to the offline result (tolerance 1e-5)', async () => {
    const offline = await rowsFor(jfk, [jfk.length]);
    for (const chunks of [[640], [1, 333, 4096, 17], [320]]) {
      const streamed = await rowsFor(jfk, chunks);
      expect(streamed.length).toBe(offline.length);
      expect(maxAbsDiff(streamed, offline)).toBeLessThan(1e-5);
    }
  });

  it('looks ahead exactly two frames (80 ms) plus the mel window', async () => {
    const stream = model.createStream({ idle: false });
    // Frame t needs mel frame 4t + 8, which needs audio up to (4t + 8) × 160 + 200 samples.
    const t = 10;
    const need = (4 * t + 8) * 160 + 200;
    const a = await stream.process({ pcm: jfk.subarray(0, need - 1) });
    expect(a.firstFrame + a.frames.length).toBe(t);
    const b = await stream.process({ pcm: jfk.subarray(need - 1, need) });
    expect(b.firstFrame).toBe(t);
    expect(b.frames.length).toBe(1);
    stream.close();
    expect(model.delayFrames).toBe(2);
  });

  it('returns one frame per 40 ms instant of the audio, in Controls ranges', async () => {
    const { sequence, durationMs } = await animateAudio(model, jfk, { seed: 1 });
    expect(sequence.frames.length).toBe(Math.floor(jfk.length / 640) + 1);
    expect(durationMs).toBeCloseTo(11_000, 0);
    for (const f of sequence.frames) {
      for (const v of Object.values(f.blendshapes)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(Math.abs(f.head.pitch)).toBeLessThanOrEqual(0.6);
    }
  });

  it('is reproducible from its seed; other seeds change only the idle layer', async () => {
    const a = await animateAudio(model, jfk.subarray(0, 16_000 * 4), { seed: 5 });
    const b = await animateAudio(model, jfk.subarray(0, 16_000 * 4), { seed: 5 });
    const c = await animateAudio(model, jfk.subarray(0, 16_000 * 4), { seed: 6 });
    expect(b.sequence).toEqual(a.sequence);
    expect(c.sequence).not.toEqual(a.sequence);
    expect(c.rows).toEqual(a.rows);
  });

  it('keeps its buffers bounded however long the stream runs', async () => {
    const core = new MotionCore(model);
    const mel = computeLogMel(jfk).data;
    for (let i = 0; i < 20; i++) await core.process(mel); // ~3.7 minutes of mel
    expect(core.toJSON().bufferedMelFrames).toBeLessThanOrEqual(12);
    core.close();
  });

  it('interrupt() drops the audio context but keeps the frame clock running', async () => {
    const stream = model.createStream({ idle: false });
    const first = await stream.process({ pcm: jfk.subarray(0, 16_000) });
    const before = stream.framesEmitted;
    await stream.interrupt();
    const after = await stream.process({ pcm: jfk.subarray(16_000, 48_000) });
    expect(after.firstFrame).toBe(before);
    // After the interrupt the model starts cold: same rows as a fresh stream on that audio.
    const fresh = model.createStream({ idle: false });
    const ref = await fresh.process({ pcm: jfk.subarray(16_000, 48_000) });
    expect(maxAbsDiff(after.rows, ref.rows)).toBeLessThan(1e-5);
    expect(first.frames.length).toBeGreaterThan(0);
    stream.close();
    fresh.close();
  });
});

describe('streaming adapters', () => {
  it('queues overlapping calls in order (a live client may not await each chunk)', async () => {
    const stream = model.createStream({ idle: false });
    const chunks = Array.from({ length: 20 }, (_, i) => jfk.subarray(i * 640, (i + 1) * 640));
    const outs = await Promise.all(chunks.map((pcm) => stream.process({ pcm })));
    let next = 0;
    for (const out of outs) {
      expect(out.firstFrame).toBe(next);
      next += out.frames.length;
    }
    const sequential = model.createStream({ idle: false });
    let rows = 0;
    for (const pcm of chunks) rows += (await sequential.process({ pcm })).rows.length;
    expect(next).toBe(rows / C);
    stream.close();
    sequential.close();
  });

  it('motionFrames() turns an async iterable of chunks into frames, pulling as it goes', async () => {
    let pulled = 0;
    async function* source() {
      for (let at = 0; at < 16_000 * 3; at += 1600) {
        pulled++;
        yield jfk.subarray(at, at + 1600);
      }
    }
    const frames: number[] = [];
    for await (const out of motionFrames(model, source(), { seed: 3 })) {
      expect(out.firstFrame).toBe(frames.length);
      for (const _ of out.frames) frames.push(out.firstFrame);
      if (frames.length < 20) expect(pulled).toBeLessThan(30);
    }
    expect(frames.length).toBe(76);
    expect(pulled).toBe(30);
  });
});

describe('motion model on bad input', () => {
  const speechJaw = async () => {
    const { rows } = await animateAudio(model, jfk, { idle: false });
    let sum = 0;
    for (let f = 0; f < rows.length / C; f++) sum += rows[f * C + B.jawOpen] as number;
    return sum / (rows.length / C);
  };

  it('silence: mouth at rest, blinks at a human rate, small seeded head motion', async () => {
    const { sequence } = await animateAudio(model, new Float32Array(16_000 * 20), { seed: 9 });
    const frames = sequence.frames;
    expect(frames.length).toBe(501);
    expect(Math.max(...frames.map((f) => f.blendshapes.jawOpen))).toBeLessThan(0.08);
    let blinks = 0;
    let closed = false;
    for (const f of frames) {
      if (f.blendshapes.eyeBlinkLeft > 0.5 && !closed) blinks++;
      closed = f.blendshapes.eyeBlinkLeft > 0.5;
    }
    expect(blinks).toBeGreaterThanOrEqual(2); // 17/min → ~6 in 20 s
    expect(blinks).toBeLessThanOrEqual(12);
    const yaws = frames.map((f) => f.head.yaw);
    expect(Math.max(...yaws) - Math.min(...yaws)).toBeGreaterThan(0.01);
    expect(Math.max(...yaws.map(Math.abs))).toBeLessThan(0.2);
  });

  it('noise and music: bounded, and the mouth moves far less than for speech', async () => {
    const speech = await speechJaw();
    let seed = 1;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const noise = Float32Array.from({ length: 16_000 * 6 }, () => 0.05 * rand());
    const music = Float32Array.from({ length: 16_000 * 6 }, (_, i) => {
      const note = [220, 277, 330, 440][Math.floor(i / 4000) % 4] as number;
      return (
        0.2 * Math.sin((2 * Math.PI * note * i) / 16_000) +
        0.1 * Math.sin((4 * Math.PI * note * i) / 16_000)
      );
    });
    for (const signal of [noise, music]) {
      const { rows } = await animateAudio(model, signal, { idle: false });
      let sum = 0;
      for (let f = 0; f < rows.length / C; f++) {
        for (let c = 0; c < C; c++) expect(Number.isFinite(rows[f * C + c])).toBe(true);
        sum += rows[f * C + B.jawOpen] as number;
      }
      expect(sum / (rows.length / C)).toBeLessThan(speech * 0.6);
    }
  });

  it('a 0.1 s clip gives its three frames', async () => {
    const { sequence } = await animateAudio(model, jfk.subarray(16_000, 17_600));
    expect(sequence.frames.length).toBe(3);
  });

  it('rejects non-finite samples and a mel of the wrong width', async () => {
    const stream = model.createStream();
    await expect(stream.process({ pcm: Float32Array.from([0, Number.NaN]) })).rejects.toMatchObject(
      {
        code: 'MOTION_BAD_INPUT',
      },
    );
    const other = model.createStream();
    await expect(other.process({ mel: new Float32Array(81) })).rejects.toMatchObject({
      code: 'MOTION_BAD_INPUT',
    });
    stream.close();
    stream.close();
    await expect(stream.process({ pcm: new Float32Array(10) })).rejects.toMatchObject({
      code: 'MOTION_CLOSED',
    });
  });
});

describe('bilabial closures', () => {
  it('close the mouth on /p b m/ of an unseen synthetic voice and open it on vowels', async () => {
    const meta = JSON.parse(await readFile(fixture('motion/bilabials.json'), 'utf8')) as {
      phonemes: { phoneme: string; startMs: number; endMs: number }[];
    };
    const audio = (await decodeAudioFile(fixture('motion/bilabials.wav'))).samples;
    const { rows } = await animateAudio(model, audio, { idle: false });
    const frames = rows.length / C;
    const aperture = (f: number) => lipAperture(rows, Math.min(frames - 1, Math.max(0, f)) * C);
    const minOver = (p: { startMs: number; endMs: number }) => {
      let m = Number.POSITIVE_INFINITY;
      for (let f = Math.floor(p.startMs / 40) - 1; f <= Math.ceil(p.endMs / 40) + 1; f++)
        m = Math.min(m, aperture(f));
      return m;
    };
    const bilabials = meta.phonemes.filter((p) => /^[pbm]$/.test(p.phoneme));
    const vowels = meta.phonemes.filter((p) => /[ˈ][aɑæʌɔɐeɛ]/.test(p.phoneme));
    expect(bilabials.length).toBeGreaterThanOrEqual(10);
    const closed = bilabials.filter((p) => minOver(p) < 0.05).length;
    // Lips sealed (aperture < 0.05, the ground truth is < 0.03) on at least 80 % of /p b m/.
    expect(closed / bilabials.length).toBeGreaterThanOrEqual(0.8);
    const vowelOpen = vowels.map((p) => aperture(Math.round((p.startMs + p.endMs) / 80)));
    vowelOpen.sort((a, b) => a - b);
    expect(vowelOpen[Math.floor(vowelOpen.length / 2)]).toBeGreaterThan(0.12);
  });
});

describe('model loading', () => {
  it('refuses a model whose bytes do not match the manifest, and a missing model', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad);
    const manifest = JSON.parse(
      await readFile(join(DEFAULT_MOTION_MODEL_DIR, 'manifest.json'), 'utf8'),
    );
    await writeFile(
      join(bad, 'manifest.json'),
      JSON.stringify({ ...manifest, sha256: 'a'.repeat(64) }),
    );
    await copyFile(join(DEFAULT_MOTION_MODEL_DIR, manifest.file), join(bad, manifest.file));
    await expect(MotionModel.load({ modelDir: bad })).rejects.toMatchObject({
      code: 'MOTION_MODEL_INVALID',
    });
    await expect(MotionModel.load({ modelDir: join(dir, 'none') })).rejects.toMatchObject({
      code: 'MOTION_MODEL_MISSING',
      kind: 'not-found',
    });
    await writeFile(join(bad, 'manifest.json'), '{"name": 1}');
    await expect(MotionModel.load({ modelDir: bad })).rejects.toMatchObject({
      code: 'MOTION_MODEL_INVALID',
    });
  });
});
