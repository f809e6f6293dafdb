import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_PIECE_SAMPLES, decodeAudioFile, fixedPieces } from '../../src/audio/index.ts';
import { BLENDSHAPE_INDEX, neutralFrame } from '../../src/controls/index.ts';
import { MouthTrack, openingScale } from '../../src/dub/mouth-track.ts';
import { type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import { MotionModel } from '../../src/motion/index.ts';
import { fixture } from '../helpers/media.ts';

let model: FaceModel;
beforeAll(async () => {
  model = await loadFaceModel();
});

function track(jaw: number[]): MouthTrack {
  const frames = jaw.map((v) => {
    const f = neutralFrame();
    f.blendshapes.jawOpen = v;
    f.blendshapes.mouthFunnel = v / 2;
    f.blendshapes.eyeBlinkLeft = 1; // not audio-driven: never read
    return f;
  });
  return MouthTrack.fromControls({ format: 'facecast.controls', version: 1, fps: 25, frames });
}

describe('the new mouth over the audio', () => {
  it('interpolates between 25 fps frames, holds the last, writes only audio-driven shapes', () => {
    const t = track([0, 0.4, 0.2]);
    const out = new Float32Array(52).fill(-1);
    t.weightsAt(20, out);
    expect(out[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.2, 6);
    expect(out[BLENDSHAPE_INDEX.mouthFunnel]).toBeCloseTo(0.1, 6);
    expect(out[BLENDSHAPE_INDEX.eyeBlinkLeft]).toBe(-1);
    t.weightsAt(10_000, out);
    expect(out[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.2, 6);
  });

  it('scales the jaw about its resting value, so silence stays as closed', () => {
    const jaw = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.25, 0.3, 0.05, 0.05, 0.05, 0.05];
    const t = track(jaw);
    const before = t.openings(model);
    t.setOpeningScale(2);
    const out = new Float32Array(52);
    expect(t.weightsAt(0, out)[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.05, 6);
    expect(t.weightsAt(7 * 40, out)[BLENDSHAPE_INDEX.jawOpen]).toBeCloseTo(0.55, 6);
    // Not the funnel: only the jaw is scaled.
    expect(out[BLENDSHAPE_INDEX.mouthFunnel]).toBeCloseTo(0.15, 6);
    // The opening measure grows with the jaw (lip gap over the eye distance).
    expect(before[7]).toBeGreaterThan((before[0] as number) + 0.02);
  });

  it('matches the speaker: ratio of the 10th–90th percentile ranges, within 0.75–2', () => {
    const ramp = (lo: number, hi: number) =>
      Array.from({ length: 11 }, (_, i) => lo + ((hi - lo) * i) / 10);
    expect(openingScale(ramp(0.02, 0.12), ramp(0.03, 0.08))).toBeCloseTo(2, 6);
    expect(openingScale(ramp(0.02, 0.08), ramp(0.03, 0.08))).toBeCloseTo(1.2, 6);
    expect(openingScale(ramp(0, 0.5), ramp(0.03, 0.08))).toBe(2);
    expect(openingScale(ramp(0.02, 0.025), ramp(0.03, 0.08))).toBe(0.75);
    // A silent new audio (the mouth does not move) or no source frames: no scaling.
    expect(openingScale(ramp(0.02, 0.12), ramp(0.03, 0.03))).toBe(1);
    expect(openingScale([], ramp(0.03, 0.08))).toBe(1);
  });
});

describe('the new mouth from audio', () => {
  it('re-cuts chunks of any sizes into fixed pieces', async () => {
    const whole = Float32Array.from({ length: 40_000 }, (_, i) => Math.sin(i / 7));
    const cut = [whole.subarray(0, 1000), whole.subarray(1000, 17_777), whole.subarray(17_777)];
    const pieces = async (chunks: Float32Array[]) => {
      const out: Float32Array[] = [];
      for await (const p of fixedPieces(chunks, AUDIO_PIECE_SAMPLES))
        out.push(Float32Array.from(p));
      return out;
    };
    const a = await pieces([whole]);
    expect(a.map((p) => p.length)).toEqual([16_384, 16_384, 40_000 - 2 * 16_384]);
    expect(await pieces(cut)).toEqual(a);
  });

  it('gives the same track from the file as from its decoded samples', async () => {
    const motion = await MotionModel.load();
    try {
      const path = fixture('speech/jfk.wav');
      const pcm = (await decodeAudioFile(path)).samples.subarray(0, 16_000 * 4);
      const fromSamples = await MouthTrack.fromAudio(motion, pcm);
      const again = await MouthTrack.fromAudio(motion, Float32Array.from(pcm));
      expect(fromSamples.frames).toBeGreaterThanOrEqual(100);
      const out = (t: MouthTrack) =>
        Array.from({ length: t.frames }, (_, f) =>
          Array.from(t.weightsAt(f * 40, new Float32Array(52))),
        );
      expect(out(again)).toEqual(out(fromSamples));
      const fromFile = await MouthTrack.fromAudio(motion, path, { maxDurationMs: 60_000 });
      const head = out(fromFile).slice(0, 90); // the file goes on: its last frames see more audio
      expect(head).toEqual(out(fromSamples).slice(0, 90));
    } finally {
      await motion.close();
    }
  }, 60_000);
});
