import { describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import {
  computeLogMel,
  concatMel,
  decodeNpy,
  encodeNpy,
  MEL_CONFIG,
  MelExtractor,
  powerSpectrum,
  readNpy,
  slaneyMelFilterbank,
} from '../../src/features/index.ts';
import { fixture } from '../helpers/media.ts';

const jfk = await decodeAudioFile(fixture('speech/jfk.wav'));
const first4s = jfk.samples.subarray(0, 4 * 16_000);

describe('log-mel matches librosa', () => {
  it('on 4 s of real speech, within 1e-3 (natural-log units) everywhere', async () => {
    // Reference: scripts/fixtures/mel_reference.py (librosa 0.11, float64). Same frame
    // convention (centre=True, zero pad), periodic Hann 400 in a 512 FFT, Slaney bank.
    const reference = await readNpy(fixture('mel/jfk_librosa_4s.npy'));
    const mel = computeLogMel(first4s);
    expect(reference.shape).toEqual([mel.frames, 80]);
    let maxAbs = 0;
    for (let i = 0; i < mel.data.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs((mel.data[i] as number) - (reference.data[i] as number)));
    }
    expect(maxAbs).toBeLessThan(1e-3);
  });

  it('gives 1 + floor(N / 160) frames and the log floor for silence', () => {
    const mel = computeLogMel(new Float32Array(16_005));
    expect(mel.frames).toBe(1 + Math.floor(16_005 / 160));
    expect(new Set(mel.data)).toEqual(new Set([Math.fround(Math.log(MEL_CONFIG.logFloor))]));
  });
});

describe('streaming extractor', () => {
  it('gives bit-identical frames for any chunking, and frames arrive before the end', () => {
    const whole = computeLogMel(first4s);
    for (const sizes of [[1], [159, 161], [4000], [7, 1024, 33, 160]]) {
      const extractor = new MelExtractor();
      const parts = [];
      let early = 0;
      for (let i = 0, k = 0; i < first4s.length; k++) {
        const n = sizes[k % sizes.length] as number;
        const part = extractor.process(first4s.subarray(i, i + n));
        early += part.frames;
        parts.push(part);
        i += n;
      }
      parts.push(extractor.flush());
      const joined = concatMel(parts);
      expect(joined.frames).toBe(whole.frames);
      expect(joined.data).toEqual(whole.data);
      // Everything but the last frame or two is available without flushing.
      expect(early).toBeGreaterThanOrEqual(whole.frames - 2);
    }
  });

  it('is reusable after flush', () => {
    const extractor = new MelExtractor();
    extractor.process(first4s);
    extractor.flush();
    expect(extractor.framesEmitted).toBe(0);
    const again = concatMel([extractor.process(first4s), extractor.flush()]);
    expect(again.data).toEqual(computeLogMel(first4s).data);
  });
});

describe('power spectrum (Meyda)', () => {
  it('equals a direct DFT on a windowed speech frame, bins 0..255', () => {
    const frame = new Float64Array(512);
    for (let i = 0; i < 400; i++)
      frame[i] = (first4s[16_000 + i] as number) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400));
    const power = powerSpectrum(frame);
    expect(power.length).toBe(256);
    const direct = new Float64Array(256);
    for (let k = 0; k < 256; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 512; n++) {
        re += (frame[n] as number) * Math.cos((2 * Math.PI * k * n) / 512);
        im -= (frame[n] as number) * Math.sin((2 * Math.PI * k * n) / 512);
      }
      direct[k] = re * re + im * im;
    }
    const peak = Math.max(...direct);
    let maxRel = 0;
    for (let k = 0; k < 256; k++)
      maxRel = Math.max(maxRel, Math.abs((power[k] as number) - (direct[k] as number)) / peak);
    expect(maxRel).toBeLessThan(1e-6);
  });

  it('no mel band reads the Nyquist bin, which Meyda leaves out', () => {
    const bank = slaneyMelFilterbank(16_000, 512, 80, 0, 8000);
    for (const band of bank) expect(band.firstBin + band.weights.length).toBeLessThanOrEqual(256);
  });
});

describe('.npy exchange format', () => {
  it('round-trips a (frames, 80) float32 array with a NumPy 1.0 header', () => {
    const mel = computeLogMel(first4s.subarray(0, 16_000));
    const bytes = encodeNpy({ data: mel.data, shape: [mel.frames, 80] });
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    const headerLength = bytes.readUInt16LE(8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes.subarray(10, 10 + headerLength).toString('latin1')).toContain(
      `'shape': (${mel.frames}, 80)`,
    );
    const back = decodeNpy(bytes);
    expect(back.shape).toEqual([mel.frames, 80]);
    expect(back.data).toEqual(mel.data);
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy({ data: new Float32Array(10), shape: [3, 4] })).toThrow(RangeError);
  });
});
