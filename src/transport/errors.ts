import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for WebRTC transport and media-encoding failures. */
export type TransportErrorCode =
  /** The remote SDP could not be parsed or offers nothing we can use. */
  | 'TRANSPORT_BAD_SDP'
  /** The offer has no video or no audio section we can send on. */
  | 'TRANSPORT_NEGOTIATION_FAILED'
  /** A second offer on a negotiated peer (renegotiation is not supported). */
  | 'TRANSPORT_RENEGOTIATION_UNSUPPORTED'
  /** An ICE candidate the peer connection rejected. */
  | 'TRANSPORT_BAD_CANDIDATE'
  /** The encoder process could not be started or died. */
  | 'TRANSPORT_ENCODER_FAILED'
  /** The Opus codec could not be created or rejected a packet. */
  | 'TRANSPORT_OPUS_FAILED'
  /** The encoder's output stream is not the IVF we asked for. */
  | 'TRANSPORT_BAD_IVF'
  /** The peer connection is closed. */
  | 'TRANSPORT_CLOSED';

const kinds: Record<TransportErrorCode, 'input' | 'internal'> = {
  TRANSPORT_BAD_SDP: 'input',
  TRANSPORT_NEGOTIATION_FAILED: 'input',
  TRANSPORT_RENEGOTIATION_UNSUPPORTED: 'input',
  TRANSPORT_BAD_CANDIDATE: 'input',
  TRANSPORT_ENCODER_FAILED: 'internal',
  TRANSPORT_OPUS_FAILED: 'internal',
  TRANSPORT_BAD_IVF: 'internal',
  TRANSPORT_CLOSED: 'internal',
};

export class TransportError extends FacecastError {
  override readonly name = 'TransportError';
  declare readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}
