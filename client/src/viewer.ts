import type { types } from 'mediasoup-client';
import { Device } from 'mediasoup-client';

/** How often a viewer asks whether its transport still exists, ms. */
const STATE_POLL_MS = 2000;

/** An HTTP error of the viewer API, with its stable code. */
class ViewerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the viewer shows the user. */
export type ViewerStatus = 'watching' | 'rejoining' | 'ended';

interface JoinInfo {
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
}

/**
 * Viewer mode (`/?view=<sessionId>&token=<viewToken>`): watches a session through the
 * server's mediasoup router (fan-out), with mediasoup-client. Only works where the server
 * runs a mediasoup worker; elsewhere the first request answers 501 LIVE_FANOUT_UNAVAILABLE.
 * Every 2 s it asks the server for its transport: when the server moved the session to
 * another worker (its worker died: `LIVE_VIEWER_NOT_FOUND`, `LIVE_FANOUT_MOVING`) it joins
 * again; when the session ended it stops.
 */
export async function startViewer(
  video: HTMLVideoElement,
  sessionId: string,
  token: string,
  onStatus: (status: ViewerStatus, detail: string) => void = () => {},
): Promise<{ close: () => void }> {
  const base = `/v1/sessions/${encodeURIComponent(sessionId)}/viewers`;
  const q = `?token=${encodeURIComponent(token)}`;
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}${q}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) {
      const error = (await response.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string };
      };
      throw new ViewerApiError(
        response.status,
        error.error?.code ?? '',
        error.error?.message ?? `HTTP ${response.status}`,
      );
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  };

  let transport: types.Transport | undefined;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const join = async () => {
    const { routerRtpCapabilities } = await call<{ routerRtpCapabilities: types.RtpCapabilities }>(
      '/capabilities',
    );
    const device = new Device();
    await device.load({ routerRtpCapabilities });
    const info = await call<JoinInfo>('', { rtpCapabilities: device.rtpCapabilities });
    const recv = device.createRecvTransport(info.transport);
    transport = recv;
    recv.on('connect', ({ dtlsParameters }, done, fail) => {
      call(`/${info.transport.id}/connect`, { dtlsParameters }).then(() => done(), fail);
    });
    const stream = new MediaStream();
    for (const c of info.consumers) stream.addTrack((await recv.consume(c)).track);
    video.srcObject = stream;
    await call(`/${info.transport.id}/resume`, {});
    onStatus('watching', '');
  };

  /** Checks the transport; joins again when the server lost it, stops when the session ended. */
  const check = async () => {
    if (closed) return;
    try {
      if (transport) await call(`/${transport.id}`);
      else await join();
    } catch (error) {
      const code = error instanceof ViewerApiError ? error.code : '';
      if (code === 'LIVE_SESSION_NOT_FOUND' || code === 'LIVE_TOKEN_INVALID') {
        closed = true;
        transport?.close();
        onStatus('ended', (error as Error).message);
        return;
      }
      // The transport is gone (moved to another worker) or the join failed: join again.
      transport?.close();
      transport = undefined;
      onStatus('rejoining', (error as Error).message);
    }
    if (!closed) timer = setTimeout(() => void check(), transport ? STATE_POLL_MS : 1000);
  };

  await join();
  timer = setTimeout(() => void check(), STATE_POLL_MS);
  return {
    /** Leaves: tells the server (its place is freed at once), closes the transport. */
    close: () => {
      closed = true;
      clearTimeout(timer);
      if (transport) {
        void fetch(`${base}/${transport.id}${q}`, { method: 'DELETE', keepalive: true });
        transport.close();
      }
    },
  };
}
