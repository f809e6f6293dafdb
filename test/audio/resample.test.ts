import { describe, expect, it } from 'vitest';
import { PcmInput, Resampler, resample } from '../../src/audio/index.ts';

function sine(freqHz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / rate),
  );
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += (x[i] as number) ** 2;
  return Math.sqrt(e / (to - from));
}

function crossings(x: Float32Array, from: number, to: number): number {
  let n = 0;
  for (let i = from + 1; i < to; i++) if ((x[i - 1] as number) < 0 !== (x[i] as number) < 0) n++;
  return n;
}

describe('Resampler', () => {
  it.each([48_000, 44_100, 24_000, 22_050, 8_000])(
    '%i Hz → 16 kHz keeps a 1 kHz tone (level and pitch)',
    (rate) => {
      const out = resample(sine(1000, rate, 1), rate, 16_000);
      expect(out.length).toBe(16_000);
      // Away from the edges: RMS of a 0.5-amplitude sine is 0.3536.
      expect(rms(out, 800, 15_200)).toBeCloseTo(0.5 / Math.SQRT2, 2);
      // 1 kHz → 2 crossings per ms.
      expect(crossings(out, 800, 15_200)).toBeGreaterThanOrEqual(2 * 900 - 2);
      expect(crossings(out, 800, 15_200)).toBeLessThanOrEqual(2 * 900 + 2);
    },
  );

  it('removes content above the new Nyquist frequency (no aliasing)', () => {
    const out = resample(sine(11_000, 48_000, 1), 48_000, 16_000);
    expect(rms(out, 800, 15_200)).toBeLessThan(0.005);
  });

  it('gives identical output for any chunking', () => {
    const input = sine(440, 44_100, 0.7).map((v, i) => v + 0.1 * Math.sin(i * 0.37));
    const whole = resample(input, 44_100, 16_000);
    const r = new Resampler(44_100, 16_000);
    const parts: Float32Array[] = [];
    const sizes = [1, 3, 441, 1000, 7, 4096];
    for (let i = 0, k = 0; i < input.length; k++) {
      const n = sizes[k % sizes.length] as number;
      parts.push(r.process(input.subarray(i, i + n)));
      i += n;
    }
    parts.push(r.flush());
    const joined = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    expect(joined).toEqual(whole);
    expect(whole.length).toBe(Math.ceil((input.length * 16_000) / 44_100));
  });

  it('passes audio already at 16 kHz through unchanged', () => {
    const x = sine(300, 16_000, 0.1);
    expect(resample(x, 16_000, 16_000)).toEqual(x);
  });

  it('rejects non-integer rates', () => {
    expect(() => new Resampler(44_100.5, 16_000)).toThrow(RangeError);
  });
});

describe('PcmInput (live chunks)', () => {
  function s16(samples: Float32Array, channels = 1): Uint8Array {
    const buf = Buffer.alloc(samples.length * 2 * channels);
    samples.forEach((v, i) => {
      for (let c = 0; c < channels; c++)
        buf.writeInt16LE(Math.round(v * 32767), (i * channels + c) * 2);
    });
    return buf;
  }

  it('s16 48 kHz split mid-sample equals the file resampler path', () => {
    const x = sine(500, 48_000, 0.5);
    const bytes = s16(x);
    const input = new PcmInput({ encoding: 's16le', sampleRate: 48_000, channels: 1 });
    const parts: Float32Array[] = [];
    for (let i = 0; i < bytes.length; i += 777)
      parts.push(input.process(bytes.subarray(i, i + 777)));
    parts.push(input.flush());
    const live = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    const quantised = Float32Array.from(x, (v) => Math.round(v * 32767) / 32768);
    expect(live).toEqual(resample(quantised, 48_000, 16_000));
  });

  it('averages stereo f32 24 kHz to mono', () => {
    const left = sine(700, 24_000, 0.2, 0.4);
    const interleaved = new Float32Array(left.length * 2);
    left.forEach((v, i) => {
      interleaved[2 * i] = v;
      interleaved[2 * i + 1] = -v; // the average of L and -L is silence
    });
    const input = new PcmInput({ encoding: 'f32le', sampleRate: 24_000, channels: 2 });
    const out = input.process(new Uint8Array(interleaved.buffer));
    expect(rms(out)).toBe(0);
  });

  it('a stream that ends mid-sample is an AUDIO_BAD_CHUNK error', () => {
    const input = new PcmInput({ encoding: 's16le', sampleRate: 16_000, channels: 1 });
    input.process(new Uint8Array([1, 2, 3]));
    expect(() => input.flush()).toThrow(/inside a sample/);
  });

  it('rejects unsupported formats at the boundary', () => {
    expect(
      () => new PcmInput({ encoding: 's16le', sampleRate: 44_100 as 48_000, channels: 1 }),
    ).toThrow();
  });
});
