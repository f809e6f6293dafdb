import { describe, expect, it } from 'vitest';
import { OPUS_FRAME_SAMPLES, OpusDecoder, OpusEncoder } from '../../src/transport/index.ts';

function tone(hz: number, samples: number, amplitude = 0.3): Float32Array {
  return Float32Array.from(
    { length: samples },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / 48_000),
  );
}

/** Zero crossings per second: a cheap frequency estimate. */
function crossingsHz(s: Float32Array): number {
  let n = 0;
  for (let i = 1; i < s.length; i++) if (s[i - 1]! < 0 !== s[i]! < 0) n++;
  return n / 2 / (s.length / 48_000);
}

describe('Opus codec', () => {
  it('encodes 20 ms packets across chunk boundaries and decodes the same tone back', () => {
    const encoder = new OpusEncoder();
    const decoder = new OpusDecoder();
    const input = tone(440, 48_000);
    const packets = [
      ...encoder.process(input.subarray(0, 1000)),
      ...encoder.process(input.subarray(1000, 30_000)),
      ...encoder.process(input.subarray(30_000)),
    ];
    expect(packets).toHaveLength(50);
    expect(encoder.pendingSamples).toBe(0);
    const decoded = packets.map((p) => decoder.process(p));
    expect(decoded.every((d) => d.length === OPUS_FRAME_SAMPLES)).toBe(true);
    const tail = new Float32Array(24_000);
    decoded.slice(25).forEach((d, i) => {
      tail.set(d, i * OPUS_FRAME_SAMPLES);
    });
    const rms = Math.sqrt(tail.reduce((a, v) => a + v * v, 0) / tail.length);
    expect(rms).toBeGreaterThan((0.3 / Math.SQRT2) * 0.8);
    expect(rms).toBeLessThan((0.3 / Math.SQRT2) * 1.2);
    expect(crossingsHz(tail)).toBeGreaterThan(430);
    expect(crossingsHz(tail)).toBeLessThan(450);
    expect(decoder.toJSON()).toEqual({ packets: 50, corrupt: 0 });
    encoder.close();
    encoder.close(); // idempotent
    decoder.close();
    expect(() => encoder.process(input)).toThrow(
      expect.objectContaining({ code: 'TRANSPORT_CLOSED' }),
    );
  });

  it('turns a corrupt packet into 20 ms of silence and counts it', () => {
    const decoder = new OpusDecoder();
    const out = decoder.process(new Uint8Array([0xff, 0xff, 0xff]));
    expect(out.length).toBe(OPUS_FRAME_SAMPLES);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(decoder.toJSON().corrupt).toBe(1);
    decoder.close();
  });
});
