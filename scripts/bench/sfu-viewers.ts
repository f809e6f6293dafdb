/**
 * Fan-out viewers for the live-fanout benchmark, run as a separate process so receiving
 * (ICE, DTLS, SRTP in werift) does not share the server's CPU accounting:
 *
 *   node --import tsx scripts/bench/sfu-viewers.ts <baseUrl> <sessionId> <viewToken>
 *
 * Reads commands on stdin, one per line, and answers each with one JSON line on stdout:
 *   add <n>   n more viewers join through the product's viewer API (the browser client's
 *             calls, with werift in place of mediasoup-client) → { joined, firstKeyFrameMs }
 *   report    → { viewers: [{ frames, fps, firstKeyFrameMs }] } (fps since the last report)
 */
import { createInterface } from 'node:readline';
import { RTCPeerConnection } from 'werift';

const [baseUrl, sessionId, viewToken] = process.argv.slice(2) as [string, string, string];
if (!viewToken) {
  console.error('usage: sfu-viewers.ts <baseUrl> <sessionId> <viewToken>');
  process.exit(2);
}
const base = `${baseUrl}/v1/sessions/${sessionId}/viewers`;
const query = `?token=${encodeURIComponent(viewToken)}`;

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

async function call<T>(path: string, body?: Json): Promise<T> {
  const response = await fetch(`${base}${path}${query}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`${path || '/'}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
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
function startsKeyFrame(payload: Buffer): boolean {
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

interface Viewer {
  pc: RTCPeerConnection;
  frames: number;
  framesAtReport: number;
  firstKeyFrameMs: number | null;
}

const viewers: Viewer[] = [];
let lastReport = performance.now();

async function join(): Promise<Viewer> {
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
  const info = await call<{ transport: TransportInfo; consumers: ConsumerInfo[] }>('', {
    rtpCapabilities,
  });
  if (info.consumers.length === 0)
    throw new Error('the server gave this viewer nothing to consume');
  const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false });
  const viewer: Viewer = { pc, frames: 0, framesAtReport: 0, firstKeyFrameMs: null };
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
  viewers.push(viewer);
  return viewer;
}

async function waitForKeyFrames(joined: Viewer[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (joined.some((v) => v.firstKeyFrameMs === null) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'add') {
    const joined = await Promise.all(Array.from({ length: Number(arg) }, () => join()));
    await waitForKeyFrames(joined);
    process.stdout.write(
      `${JSON.stringify({ joined: viewers.length, firstKeyFrameMs: joined.map((v) => v.firstKeyFrameMs) })}\n`,
    );
  } else if (command === 'report') {
    const now = performance.now();
    const seconds = (now - lastReport) / 1000;
    lastReport = now;
    const report = viewers.map((v) => {
      const fps = (v.frames - v.framesAtReport) / seconds;
      v.framesAtReport = v.frames;
      return { frames: v.frames, fps, firstKeyFrameMs: v.firstKeyFrameMs };
    });
    process.stdout.write(`${JSON.stringify({ viewers: report })}\n`);
  } else if (command === 'quit') {
    break;
  }
}
await Promise.all(viewers.map((v) => v.pc.close()));
process.exit(0);
