import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';

/**
 * A second werift peer playing the browser in transport and protocol tests (the real
 * browser runs in test/live/browser.e2e.test.ts): it offers recvonly video and sendrecv
 * audio, counts what it receives, and can send Opus packets as a microphone.
 */
export class TestViewer {
  readonly pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false });
  readonly mic = new MediaStreamTrack({ kind: 'audio' });
  video = { packets: 0, frames: 0, payloadType: -1, timestamps: [] as number[] };
  audio = { packets: 0, payloadType: -1, timestamps: [] as number[] };
  #micSeq = 100;

  constructor({ withVideo = true, withMic = true } = {}) {
    if (withVideo) this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.pc.addTransceiver(this.mic, { direction: withMic ? 'sendrecv' : 'recvonly' });
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const stats = track.kind === 'video' ? this.video : this.audio;
        stats.packets++;
        stats.payloadType = rtp.header.payloadType;
        if (track.kind === 'video' && rtp.header.marker) {
          this.video.frames++;
          this.video.timestamps.push(rtp.header.timestamp);
        }
        if (track.kind === 'audio') this.audio.timestamps.push(rtp.header.timestamp);
      });
    });
  }

  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await new Promise<void>((resolve) => {
      if (this.pc.iceGatheringState === 'complete') return resolve();
      this.pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
    });
    return this.pc.localDescription!.sdp;
  }

  async accept(answerSdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  sendMic(payload: Uint8Array, timestamp: number): void {
    this.mic.writeRtp(
      new RtpPacket(
        new RtpHeader({ sequenceNumber: this.#micSeq++ & 0xffff, timestamp, marker: false }),
        Buffer.from(payload),
      ),
    );
  }

  get connected(): boolean {
    return this.pc.connectionState === 'connected';
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}
