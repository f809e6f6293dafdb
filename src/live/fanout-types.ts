/** The fan-out's options and what its viewer API hands out (fanout.ts). */
import type { types as ms } from 'mediasoup';
import type { WorkerPoolOptions } from './sfu-pool.ts';

/** Options of {@link MediasoupFanout.create}. */
export interface FanoutOptions extends WorkerPoolOptions {
  /** Address the viewers' transports listen on. Default 127.0.0.1. */
  listenIp?: string;
  /** Address announced to viewers (a public IP). Default none. */
  announcedAddress?: string;
  /** Viewers one router serves before the next go to a piped router on another worker. Default 200. */
  viewersPerRouter?: number;
  /** A viewer whose transport received nothing (no RTCP, no ICE check) this long is closed, ms. Default 30 000. */
  viewerSilenceTimeoutMs?: number;
}

/** What a viewer needs to create its receive transport (mediasoup-client `Device`). */
export interface ViewerTransportInfo {
  routerRtpCapabilities: ms.RtpCapabilities;
  transport: {
    id: string;
    iceParameters: ms.IceParameters;
    iceCandidates: ms.IceCandidate[];
    dtlsParameters: ms.DtlsParameters;
  };
}

/** One consumer a viewer should create (`transport.consume(...)` in mediasoup-client). */
export interface ViewerConsumerInfo {
  id: string;
  producerId: string;
  kind: ms.MediaKind;
  rtpParameters: ms.RtpParameters;
}

/** Where a viewer is served: the worker (pool index) and whether through a pipe. */
export interface ViewerPlacement {
  workerIndex: number;
  piped: boolean;
}

/**
 * Called before a viewer is placed, with the viewers the fan-out holds over all sessions
 * (joins in progress included); throws (a `LiveError`) to refuse the viewer.
 */
export type ViewerAdmission = (viewers: number) => void;

/** A viewer's transport as {@link MediasoupFanout.viewerState} reports it. */
export interface ViewerState extends ViewerPlacement {
  transportId: string;
  /** The publication's generation the viewer belongs to (see {@link MediasoupFanout.generation}). */
  generation: number;
  dtlsState: ms.DtlsState;
}
