export { TransportError, type TransportErrorCode } from './errors.ts';
export { type IvfFrame, IvfParser } from './ivf.ts';
export {
  OPUS_FRAME_SAMPLES,
  OPUS_SAMPLE_RATE,
  OpusDecoder,
  OpusEncoder,
  type OpusEncoderOptions,
} from './opus.ts';
export {
  AvatarPeer,
  type AvatarPeerEvents,
  type AvatarPeerOptions,
  type IceCandidateInit,
  type IceServer,
  type IncomingAudioPacket,
  type PeerState,
} from './peer.ts';
export {
  type EncodedVideoFrame,
  Vp8Encoder,
  type Vp8EncoderEvents,
  type Vp8EncoderOptions,
} from './vp8-encoder.ts';
export {
  isVp8Keyframe,
  type RtpOut,
  type RtpSink,
  serializeRtp,
  Vp8Payloader,
  type Vp8PayloaderOptions,
} from './vp8-payloader.ts';
