import { describe, expect, it } from 'vitest';
import { IvfParser } from '../../src/transport/index.ts';

function ivfStream(frames: Uint8Array[]): Uint8Array {
  const header = new Uint8Array(32);
  const view = new DataView(header.buffer);
  header.set([0x44, 0x4b, 0x49, 0x46]); // DKIF
  view.setUint16(6, 32, true);
  header.set([0x56, 0x50, 0x38, 0x30], 8); // VP80
  view.setUint16(12, 64, true);
  view.setUint16(14, 48, true);
  const parts: Uint8Array[] = [header];
  frames.forEach((data, i) => {
    const fh = new Uint8Array(12);
    const fv = new DataView(fh.buffer);
    fv.setUint32(0, data.length, true);
    fv.setBigUint64(4, BigInt(i), true);
    parts.push(fh, data);
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const frames = [3, 1000, 1, 77].map((n, i) =>
  Uint8Array.from({ length: n }, (_, k) => (k + i) % 251),
);

describe('IvfParser', () => {
  it('returns the same frames whatever the chunking', () => {
    const stream = ivfStream(frames);
    for (const chunk of [1, 7, 12, 33, 500, stream.length]) {
      const parser = new IvfParser();
      const out = [];
      for (let o = 0; o < stream.length; o += chunk)
        out.push(...parser.process(stream.subarray(o, o + chunk)));
      expect(out.map((f) => f.pts)).toEqual([0, 1, 2, 3]);
      out.forEach((f, i) => {
        expect(Array.from(f.data)).toEqual(Array.from(frames[i]!));
      });
      expect(parser.fourcc).toBe('VP80');
      expect(parser.toJSON()).toMatchObject({ frames: 4, bufferedBytes: 0 });
    }
  });

  it('holds a partial frame until the rest arrives', () => {
    const stream = ivfStream(frames);
    const parser = new IvfParser();
    expect(parser.process(stream.subarray(0, 32 + 12 + 3 + 12 + 500))).toHaveLength(1);
    expect(parser.process(stream.subarray(32 + 12 + 3 + 12 + 500))).toHaveLength(3);
  });

  it('rejects a stream that is not IVF, and an implausible frame size', () => {
    expect(() => new IvfParser().process(new TextEncoder().encode('RIFF'.padEnd(40, 'x')))).toThrow(
      /not an IVF stream/,
    );
    const bad = ivfStream([new Uint8Array(4)]);
    new DataView(bad.buffer).setUint32(32, 0xfffffff0, true);
    expect(() => new IvfParser().process(bad)).toThrow(
      expect.objectContaining({ code: 'TRANSPORT_BAD_IVF' }),
    );
  });
});
