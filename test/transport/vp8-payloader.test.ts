import { describe, expect, it } from 'vitest';
import { isVp8Keyframe, Vp8Payloader } from '../../src/transport/index.ts';

describe('Vp8Payloader', () => {
  it('splits a frame into packets that reassemble to it, with RFC 7741 descriptors', () => {
    const vp8 = new Vp8Payloader({
      maxPayloadBytes: 100,
      initialSequence: 65534,
      initialPictureId: 0x7ffe,
    });
    const frame = Uint8Array.from({ length: 250 }, (_, i) => i & 0xff);
    const packets = vp8.process(frame, 3600);
    // 96 bytes of frame per packet: 96 + 96 + 58
    expect(packets.map((p) => p.payload.length)).toEqual([100, 100, 62]);
    expect(packets.map((p) => p.sequenceNumber)).toEqual([65534, 65535, 0]);
    expect(packets.map((p) => p.marker)).toEqual([false, false, true]);
    expect(packets.every((p) => p.timestamp === 3600)).toBe(true);
    expect(packets.map((p) => p.payload[0])).toEqual([0x90, 0x80, 0x80]); // S bit on the first only
    for (const p of packets) {
      expect(p.payload[1]).toBe(0x80);
      expect(((p.payload[2]! & 0x7f) << 8) | p.payload[3]!).toBe(0x7ffe);
      expect(p.payload[2]! & 0x80).toBe(0x80);
    }
    const joined = packets.flatMap((p) => Array.from(p.payload.subarray(4)));
    expect(joined).toEqual(Array.from(frame));
    // next frame: picture id wraps at 15 bits, sequence continues
    const next = vp8.process(new Uint8Array(10), 7200);
    expect(next).toHaveLength(1);
    expect(((next[0]!.payload[2]! & 0x7f) << 8) | next[0]!.payload[3]!).toBe(0x7fff);
    expect(next[0]!.sequenceNumber).toBe(1);
    expect(vp8.toJSON()).toMatchObject({ frames: 2, packets: 4 });
  });

  it('emits nothing for an empty frame and tells key frames from inter frames', () => {
    const vp8 = new Vp8Payloader();
    expect(vp8.process(new Uint8Array(0), 0)).toEqual([]);
    expect(isVp8Keyframe(Uint8Array.of(0x50, 1, 2))).toBe(true); // P bit clear
    expect(isVp8Keyframe(Uint8Array.of(0x51, 1, 2))).toBe(false);
    vp8.process(Uint8Array.of(0x50, 0, 0), 0);
    vp8.process(Uint8Array.of(0x51, 0, 0), 3600);
    expect(vp8.toJSON().keyframes).toBe(1);
  });
});
