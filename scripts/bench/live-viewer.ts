/**
 * Remote end of the live benchmarks, run as a separate process so that receiving (SRTP,
 * RTCP) and the paced PCM sender do not share the server's event loop:
 *
 *   node --import tsx scripts/bench/live-viewer.ts <baseUrl> <sessions> <seconds> <avatarId> <wav>
 *
 * Per session: creates it over HTTP, negotiates a werift peer over the ws, streams the wav
 * (looped; `-`: none) as s16le 16 kHz PCM in 20 ms chunks paced by the wall clock, counts the video
 * frames and audio packets it receives, and says `bye`. Prints one JSON line of results
 * (after a `created` line per session when the server runs fan-out).
 */

import { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import { decodeAudioFile } from '../../src/audio/index.ts';

const args = process.argv.slice(2);
if (args.length !== 5) {
  console.error('usage: live-viewer.ts <baseUrl> <sessions> <seconds> <avatarId> <wav>');
  process.exit(2);
}
const [baseUrl, sessionsArg, secondsArg, avatarId, wav] = args as [
  string,
  string,
  string,
  string,
  string,
];
const seconds = Number(secondsArg);
// `-` instead of a wav: send no speech, only watch (the conversation bench speaks text)
const { samples } = wav === '-' ? { samples: new Float32Array(0) } : await decodeAudioFile(wav);
const pcm = new Int16Array(samples.length);
for (let i = 0; i < samples.length; i++)
  pcm[i] = Math.round(Math.max(-1, Math.min(1, samples[i] as number)) * 32767);

interface Result {
  sessionId: string;
  framesReceived: number;
  /** Frames received per second, over the run after the first second. */
  fps: number;
  firstFrameMs: number | null;
  audioPackets: number;
  error?: string;
}

async function runSession(index: number): Promise<Result> {
  const created = await fetch(`${baseUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ avatarId, options: { seed: index + 1 } }),
  });
  const body = (await created.json()) as {
    sessionId: string;
    wsUrl: string;
    viewToken?: string;
    error?: { message: string };
  };
  if (!created.ok) throw new Error(body.error?.message ?? `HTTP ${created.status}`);
  // For the fan-out benchmark: the session and its viewer token, as soon as they exist.
  if (body.viewToken) {
    process.stdout.write(
      `${JSON.stringify({ created: { sessionId: body.sessionId, viewToken: body.viewToken } })}\n`,
    );
  }
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${body.wsUrl}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const frameTimes: number[] = [];
  let audioPackets = 0;
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind === 'video' && rtp.header.marker) frameTimes.push(performance.now());
      if (track.kind === 'audio') audioPackets++;
    });
  });
  let connectedAt = 0;
  const live = new Promise<void>((resolve, reject) => {
    // A session that never goes live (e.g. its connect timeout on a saturated machine)
    // closes the ws: report it instead of waiting forever.
    ws.once('close', () => reject(new Error('the session closed before going live')));
    ws.on('message', async (data) => {
      const m = JSON.parse(String(data)) as { type: string; sdp?: string; state?: string };
      if (m.type === 'answer' && m.sdp)
        await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
      if (m.type === 'state' && m.state === 'live') {
        connectedAt = performance.now();
        resolve();
      }
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
  });
  ws.send(JSON.stringify({ type: 'offer', sdp: pc.localDescription?.sdp }));
  await live;
  if (pcm.length > 0)
    ws.send(
      JSON.stringify({ type: 'audio.start', format: { encoding: 's16le', sampleRate: 16000 } }),
    );
  // 20 ms chunks due at start + k × 20 ms (no drift), the wav looped
  const start = performance.now();
  let k = 0;
  await new Promise<void>((resolve) => {
    const send = () => {
      const now = performance.now();
      while (pcm.length > 0 && start + k * 20 <= now) {
        const from = (k * 320) % (pcm.length - 320);
        ws.send(Buffer.from(pcm.buffer, pcm.byteOffset + from * 2, 640), { binary: true });
        k++;
      }
      // the run's length, or the server ended the session (the conversation bench does)
      if (now - start >= seconds * 1000 || ws.readyState !== WebSocket.OPEN) return resolve();
      setTimeout(send, Math.max(0, start + k * 20 - performance.now()));
    };
    send();
  });
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'bye' }));
  const end = performance.now();
  const counted = frameTimes.filter((t) => t >= start + 1000);
  await pc.close();
  ws.close();
  return {
    sessionId: body.sessionId,
    framesReceived: frameTimes.length,
    fps: counted.length / ((end - start - 1000) / 1000),
    firstFrameMs: frameTimes[0] === undefined ? null : frameTimes[0] - connectedAt,
    audioPackets,
  };
}

const results = await Promise.all(
  Array.from({ length: Number(sessionsArg) }, (_, i) =>
    runSession(i).catch(
      (error: Error): Result => ({
        sessionId: '',
        framesReceived: 0,
        fps: 0,
        firstFrameMs: null,
        audioPackets: 0,
        error: error.message,
      }),
    ),
  ),
);
process.stdout.write(`${JSON.stringify({ results })}\n`);
process.exit(0);
