import type { types } from 'mediasoup-client';
import { Device } from 'mediasoup-client';

/**
 * Viewer mode (`/?view=<sessionId>&token=<viewToken>`): watches a session through the
 * server's mediasoup router (fan-out), with mediasoup-client. Only works where the server
 * runs a mediasoup worker; elsewhere the first request answers 501 LIVE_FANOUT_UNAVAILABLE.
 */
export async function startViewer(
  video: HTMLVideoElement,
  sessionId: string,
  token: string,
): Promise<{ close: () => void }> {
  const base = `/v1/sessions/${encodeURIComponent(sessionId)}/viewers`;
  const q = `?token=${encodeURIComponent(token)}`;
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}${q}`, {
      method: body === undefined && path === '/capabilities' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) {
      const error = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new Error(error.error?.message ?? `HTTP ${response.status}`);
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  };

  const { routerRtpCapabilities } = await call<{ routerRtpCapabilities: types.RtpCapabilities }>(
    '/capabilities',
  );
  const device = new Device();
  await device.load({ routerRtpCapabilities });
  const info = await call<{
    transport: {
      id: string;
      iceParameters: types.IceParameters;
      iceCandidates: types.IceCandidate[];
      dtlsParameters: types.DtlsParameters;
    };
    consumers: {
      id: string;
      producerId: string;
      kind: 'audio' | 'video';
      rtpParameters: types.RtpParameters;
    }[];
  }>('', { rtpCapabilities: device.rtpCapabilities });
  const transport = device.createRecvTransport(info.transport);
  transport.on('connect', ({ dtlsParameters }, done, fail) => {
    call(`/${info.transport.id}/connect`, { dtlsParameters }).then(() => done(), fail);
  });
  const stream = new MediaStream();
  for (const c of info.consumers) {
    const consumer = await transport.consume(c);
    stream.addTrack(consumer.track);
  }
  video.srcObject = stream;
  await call(`/${info.transport.id}/resume`, {});
  return { close: () => transport.close() };
}
