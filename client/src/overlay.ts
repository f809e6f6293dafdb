import type { SessionStatsJson } from '../../src/live/wire.ts';
import type { ClientCounters } from './live-client.ts';

const ms = (v: number | null | undefined) => (v == null ? '–' : `${Math.round(v)} ms`);

/** The stats overlay's text: the server's view of the session and the browser's own. */
export function overlayText(server: SessionStatsJson | null, client: ClientCounters): string {
  const lines = [
    `video   ${client.width}×${client.height}  decoded ${client.framesDecoded}`,
    `jitter  ${ms(client.jitterBufferMs)}  first frame ${ms(client.firstFrameMs)}`,
  ];
  if (server) {
    lines.push(
      `server  ${server.fps.toFixed(1)} fps  sent ${server.framesSent}  dropped ${server.framesDropped}`,
      `latency p50 ${ms(server.latencyMs.p50)}  p95 ${ms(server.latencyMs.p95)}  (audio in → frame out)`,
      `queues  speech ${Math.round(server.queues.speechMs)} ms  mic ${Math.round(server.queues.micMs)} ms  motion ${server.queues.motionFrames}  encoder ${server.queues.encoderFrames}`,
      `audio   ${server.audio.speaking ? 'speaking' : 'idle'}  sent ${server.audio.packetsSent}  mic ${server.audio.micPackets}${client.micSending ? ' (talking)' : ''}`,
    );
  }
  return lines.join('\n');
}
