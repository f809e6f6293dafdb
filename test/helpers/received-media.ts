import { writeFile } from 'node:fs/promises';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { Vp8RtpPayload } from 'werift';
import { Resampler } from '../../src/audio/index.ts';
import type { MediaClock } from '../../src/live/index.ts';
import { OpusDecoder } from '../../src/transport/index.ts';

const WRAP = 2 ** 32;

/**
 * What a viewer received, kept whole: VP8 frames reassembled from their RTP packets (from the
 * first keyframe on) and Opus packets, each with its RTP timestamp. `write` turns them into an
 * IVF file and the 16 kHz speech under it, lined up on the session's media clock (what a
 * player does with the sender's RTCP reports).
 */
export class ReceivedMedia {
  readonly frames: { timestamp: number; data: Buffer }[] = [];
  readonly audio: { timestamp: number; payload: Buffer }[] = [];
  #parts: Buffer[] = [];
  #partsOf: number | undefined;
  #keyframeSeen = false;

  constructor(pc: RTCPeerConnection) {
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        if (track.kind === 'video') this.#video(rtp);
        else this.audio.push({ timestamp: rtp.header.timestamp, payload: rtp.payload });
      });
    });
  }

  #video(rtp: RtpPacket): void {
    const vp8 = Vp8RtpPayload.deSerialize(rtp.payload);
    if (vp8.isPartitionHead && vp8.payloadHeaderExist) {
      this.#parts = [];
      this.#partsOf = rtp.header.timestamp;
    }
    if (this.#partsOf !== rtp.header.timestamp) return; // lost the frame's first packet
    this.#parts.push(vp8.payload);
    if (!rtp.header.marker) return;
    const data = Buffer.concat(this.#parts);
    this.#partsOf = undefined;
    this.#keyframeSeen ||= (data[0]! & 1) === 0; // VP8 frame tag: P bit 0 = keyframe
    if (this.#keyframeSeen) this.frames.push({ timestamp: rtp.header.timestamp, data });
  }

  /**
   * Writes the frames as IVF (25 fps time base, pts = frames since the first one; dropped
   * frames leave gaps) and returns which frame slots arrived and the speech (16 kHz) from the
   * first frame's media time on: the Opus packets decoded at their media time, losses as
   * silence.
   */
  async write(
    ivfPath: string,
    size: number,
    clock: Pick<MediaClock, 'videoBase' | 'audioBase'>,
  ): Promise<{ frames: number; received: Set<number>; speech: Float32Array }> {
    const first = this.frames[0];
    if (!first || this.audio.length === 0) throw new Error('nothing received');
    const videoMs = (ts: number) => ((ts - clock.videoBase + WRAP) % WRAP) / 90;
    const audioMs = (ts: number) => ((ts - clock.audioBase + WRAP) % WRAP) / 48;
    const pts = (ts: number) => Math.round((videoMs(ts) - videoMs(first.timestamp)) / 40);
    await writeFile(ivfPath, ivf(this.frames, size, pts));
    const decoder = new OpusDecoder();
    const fromMs = videoMs(first.timestamp);
    const lastMs = Math.max(...this.audio.map((a) => audioMs(a.timestamp)));
    const pcm48 = new Float32Array(Math.max(0, Math.round((lastMs + 20 - fromMs) * 48)));
    for (const packet of [...this.audio].sort(
      (a, b) => audioMs(a.timestamp) - audioMs(b.timestamp),
    )) {
      const at = Math.round((audioMs(packet.timestamp) - fromMs) * 48);
      const pcm = decoder.process(packet.payload);
      if (at >= 0) pcm48.set(pcm.subarray(0, pcm48.length - at), at);
    }
    decoder.close();
    const frames = pts(this.frames.at(-1)!.timestamp) + 1;
    const received = new Set(this.frames.map((f) => pts(f.timestamp)));
    return { frames, received, speech: new Resampler(48_000, 16_000).process(pcm48) };
  }
}

/** An IVF file (the container ffmpeg reads VP8 from): 32-byte header, 12 bytes per frame. */
function ivf(
  frames: { timestamp: number; data: Buffer }[],
  size: number,
  pts: (timestamp: number) => number,
): Buffer {
  const header = Buffer.alloc(32);
  header.write('DKIF', 0, 'ascii');
  header.writeUInt16LE(32, 6);
  header.write('VP80', 8, 'ascii');
  header.writeUInt16LE(size, 12);
  header.writeUInt16LE(size, 14);
  header.writeUInt32LE(25, 16); // time base 1/25 s
  header.writeUInt32LE(1, 20);
  header.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const frameHeader = Buffer.alloc(12);
    frameHeader.writeUInt32LE(f.data.length, 0);
    frameHeader.writeBigUInt64LE(BigInt(pts(f.timestamp)), 4);
    parts.push(frameHeader, f.data);
  }
  return Buffer.concat(parts);
}
