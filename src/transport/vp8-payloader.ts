/** An RTP packet as facecast builds it, before the peer connection adds SSRC and extensions. */
export interface RtpOut {
  sequenceNumber: number;
  /** RTP timestamp (90 kHz for video, 48 kHz for Opus). */
  timestamp: number;
  /** Last packet of a video frame. */
  marker: boolean;
  payload: Uint8Array;
}

export interface Vp8PayloaderOptions {
  /** Largest RTP payload in bytes, VP8 descriptor included. Default 1100 (leaves room for the RTP header, extensions and SRTP under a 1200-byte packet). */
  maxPayloadBytes?: number;
  /** First sequence number. Default random. */
  initialSequence?: number;
  /** First picture id (15 bits). Default random. */
  initialPictureId?: number;
}

const DESCRIPTOR_BYTES = 4;

/**
 * Splits VP8 frames into RTP payloads (RFC 7741) with a 15-bit PictureID, so the receiver
 * can tell a lost frame from a late one. Pure: the caller owns timestamps.
 *
 * @example
 * const vp8 = new Vp8Payloader();
 * const packets = vp8.process(frameBytes, timestamp90k);
 */
export class Vp8Payloader {
  readonly maxPayloadBytes: number;
  #sequence: number;
  #pictureId: number;
  #frames = 0;
  #keyframes = 0;
  #packets = 0;
  #bytes = 0;

  constructor(options: Vp8PayloaderOptions = {}) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1100;
    if (this.maxPayloadBytes <= DESCRIPTOR_BYTES) throw new RangeError('maxPayloadBytes too small');
    this.#sequence = (options.initialSequence ?? randomInt(0x10000)) & 0xffff;
    this.#pictureId = (options.initialPictureId ?? randomInt(0x8000)) & 0x7fff;
  }

  process(frame: Uint8Array, timestamp: number): RtpOut[] {
    if (frame.length === 0) return [];
    const chunk = this.maxPayloadBytes - DESCRIPTOR_BYTES;
    const count = Math.ceil(frame.length / chunk);
    const out: RtpOut[] = [];
    const pid = this.#pictureId;
    for (let i = 0; i < count; i++) {
      const body = frame.subarray(i * chunk, Math.min(frame.length, (i + 1) * chunk));
      const payload = new Uint8Array(DESCRIPTOR_BYTES + body.length);
      payload[0] = 0x80 | (i === 0 ? 0x10 : 0); // X=1, S on the first partition packet, PID 0
      payload[1] = 0x80; // I: PictureID present
      payload[2] = 0x80 | (pid >> 8); // M: 15-bit PictureID
      payload[3] = pid & 0xff;
      payload.set(body, DESCRIPTOR_BYTES);
      out.push({
        sequenceNumber: this.#sequence,
        timestamp: timestamp >>> 0,
        marker: i === count - 1,
        payload,
      });
      this.#sequence = (this.#sequence + 1) & 0xffff;
      this.#bytes += payload.length;
    }
    this.#pictureId = (pid + 1) & 0x7fff;
    this.#frames++;
    if (isVp8Keyframe(frame)) this.#keyframes++;
    this.#packets += count;
    return out;
  }

  toJSON(): { frames: number; keyframes: number; packets: number; bytes: number } {
    return {
      frames: this.#frames,
      keyframes: this.#keyframes,
      packets: this.#packets,
      bytes: this.#bytes,
    };
  }
}

/** A VP8 key frame has the P bit (bit 0 of the first byte of the frame tag) clear. */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length > 0 && ((frame[0] as number) & 0x01) === 0;
}

function randomInt(max: number): number {
  return Math.floor(Math.random() * max);
}

/** Where outgoing RTP goes: a WebRTC peer, or a mediasoup producer for fan-out. */
export interface RtpSink {
  sendVideo(packets: readonly RtpOut[]): void;
  sendAudio(packet: RtpOut): void;
}

/** A whole RTP packet (RFC 3550 fixed header, no extensions) with the given SSRC and type. */
export function serializeRtp(packet: RtpOut, payloadType: number, ssrc: number): Buffer {
  const out = Buffer.alloc(12 + packet.payload.length);
  out[0] = 0x80; // V=2
  out[1] = (packet.marker ? 0x80 : 0) | (payloadType & 0x7f);
  out.writeUInt16BE(packet.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(ssrc >>> 0, 8);
  out.set(packet.payload, 12);
  return out;
}
