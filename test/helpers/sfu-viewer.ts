/**
 * A fan-out viewer in Node: werift playing mediasoup-client against the product's viewer API
 * (`/v1/sessions/:id/viewers…`): capabilities, join, an SDP offer built from the transport
 * and consumers (mediasoup is ICE-lite), connect, resume. Counts the video frames it gets
 * from the first key frame on. Used by test/live/fanout-admission.test.ts and the
 * live-fanout benchmark (scripts/bench/sfu-viewers.ts).
 */
import { RTCPeerConnection } from 'werift';

type Json = Record<string, unknown>;
interface Codec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
  rtcpFeedback?: { type: string; parameter?: string }[];
}
interface ConsumerInfo {
  kind: 'audio' | 'video';
  rtpParameters: {
    mid?: string;
    codecs: Codec[];
    encodings: { ssrc: number }[];
    rtcp?: { cname?: string };
  };
}
interface TransportInfo {
  id: string;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: {
    foundation: string;
    priority: number;
    address?: string;
    ip?: string;
    port: number;
  }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}

/** The SDP offer mediasoup-client would build for a receive transport (mediasoup is ICE-lite). */
function offerSdp(transport: TransportInfo, consumers: ConsumerInfo[]): string {
  const fingerprint = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256');
  const mids = consumers.map((c, i) => c.rtpParameters.mid ?? String(i));
  const lines = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=fingerprint:sha-256 ${fingerprint?.value}`,
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS *',
  ];
  consumers.forEach((consumer, i) => {
    const codec = consumer.rtpParameters.codecs[0] as Codec;
    const pt = codec.payloadType;
    const ssrc = consumer.rtpParameters.encodings[0]?.ssrc;
    const [, name] = codec.mimeType.split('/');
    const fmtp = Object.entries(codec.parameters ?? {}).map(([k, v]) => `${k}=${v}`);
    lines.push(
      `m=${consumer.kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
      'c=IN IP4 127.0.0.1',
      `a=ice-ufrag:${transport.iceParameters.usernameFragment}`,
      `a=ice-pwd:${transport.iceParameters.password}`,
      ...transport.iceCandidates.map(
        (c) =>
          `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address ?? c.ip} ${c.port} typ host`,
      ),
      'a=end-of-candidates',
      'a=setup:actpass',
      `a=mid:${mids[i]}`,
      'a=sendonly',
      'a=rtcp-mux',
      'a=rtcp-rsize',
      `a=rtpmap:${pt} ${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`,
      ...(fmtp.length > 0 ? [`a=fmtp:${pt} ${fmtp.join(';')}`] : []),
      ...(codec.rtcpFeedback ?? []).map(
        (fb) => `a=rtcp-fb:${pt} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`,
      ),
      `a=ssrc:${ssrc} cname:${consumer.rtpParameters.rtcp?.cname ?? 'facecast'}`,
    );
  });
  return `${lines.join('\r\n')}\r\n`;
}

/** VP8 RTP payload: does this packet start a key frame (RFC 7741 descriptor, then P bit 0)? */
export function startsKeyFrame(payload: Buffer): boolean {
  const b0 = payload[0] ?? 0;
  if (!(b0 & 0x10) || (b0 & 0x07) !== 0) return false;
  let i = 1;
  if (b0 & 0x80) {
    const b1 = payload[1] ?? 0;
    i = 2;
    if (b1 & 0x80) i += (payload[i] ?? 0) & 0x80 ? 2 : 1;
    if (b1 & 0x40) i++;
    if (b1 & 0x30) i++;
  }
  return ((payload[i] ?? 1) & 0x01) === 0;
}

/** An HTTP error of the viewer API (status and the body's error code). */
export class ViewerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly retryAfter: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the viewer API of one session (`path` after `/viewers`; a body makes it a POST). */
export function viewerApi(baseUrl: string, sessionId: string, viewToken: string) {
  const base = `${baseUrl}/v1/sessions/${sessionId}/viewers`;
  const query = `?token=${encodeURIComponent(viewToken)}`;
  return async function call<T>(path: string, body?: Json, method?: 'DELETE'): Promise<T> {
    const response = await fetch(`${base}${path}${query}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) {
      const text = await response.text();
      const code = (JSON.parse(text || '{}') as { error?: { code?: string } }).error?.code ?? '';
      throw new ViewerApiError(
        response.status,
        code,
        response.headers.get('retry-after'),
        `${path || '/'}: HTTP ${response.status} ${text}`,
      );
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

/** One werift viewer joined through the viewer API. */
export interface SfuViewer {
  pc: RTCPeerConnection;
  transportId: string;
  generation: number;
  /** Video frames received since the first key frame. */
  frames: number;
  /** From the first API call to the first packet of a key frame, ms (null before it). */
  firstKeyFrameMs: number | null;
  /** From the first API call to the resume call's answer (media may flow from then on), ms. */
  resumedMs: number;
  /** Closes the peer only (the server notices when its transport times out or the session ends). */
  close(): Promise<void>;
  /** Tells the server (`DELETE …/viewers/:transport`), then closes the peer. */
  leave(): Promise<void>;
}

/** Joins a session's fan-out as the browser client's viewer mode does, with werift. */
export async function joinSfuViewer(
  baseUrl: string,
  sessionId: string,
  viewToken: string,
): Promise<SfuViewer> {
  const call = viewerApi(baseUrl, sessionId, viewToken);
  const started = performance.now();
  const { routerRtpCapabilities } = await call<{ routerRtpCapabilities: { codecs: Json[] } }>(
    '/capabilities',
  );
  const rtpCapabilities = {
    codecs: routerRtpCapabilities.codecs.filter((c) =>
      ['video/VP8', 'audio/opus'].includes(String(c.mimeType)),
    ),
    headerExtensions: [],
  };
  const info = await call<{
    transport: TransportInfo;
    consumers: ConsumerInfo[];
    generation: number;
  }>('', { rtpCapabilities });
  if (info.consumers.length === 0)
    throw new Error('the server gave this viewer nothing to consume');
  const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false });
  const viewer: SfuViewer = {
    pc,
    transportId: info.transport.id,
    generation: info.generation,
    frames: 0,
    firstKeyFrameMs: null,
    resumedMs: Number.NaN,
    close: () => pc.close(),
    leave: async () => {
      await call(`/${info.transport.id}`, undefined, 'DELETE');
      await pc.close();
    },
  };
  pc.onTrack.subscribe((track) => {
    if (track.kind !== 'video') return;
    track.onReceiveRtp.subscribe((rtp) => {
      if (viewer.firstKeyFrameMs === null && startsKeyFrame(rtp.payload)) {
        viewer.firstKeyFrameMs = performance.now() - started;
      }
      if (rtp.header.marker && viewer.firstKeyFrameMs !== null) viewer.frames++;
    });
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp(info.transport, info.consumers) });
  const { sdp: answer } = await pc.createAnswer();
  await pc.setLocalDescription({ type: 'answer', sdp: answer });
  const value = /a=fingerprint:sha-256 (\S+)/.exec(answer)?.[1];
  if (!value) throw new Error('werift answered without a DTLS fingerprint');
  const role = /a=setup:passive/.test(answer) ? 'server' : 'client';
  await call(`/${info.transport.id}/connect`, {
    dtlsParameters: { role, fingerprints: [{ algorithm: 'sha-256', value }] },
  });
  await call(`/${info.transport.id}/resume`, {});
  viewer.resumedMs = performance.now() - started;
  return viewer;
}
