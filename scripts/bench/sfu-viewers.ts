/**
 * Fan-out viewers for the live-fanout benchmark, run as a separate process so receiving
 * (ICE, DTLS, SRTP in werift) does not share the server's CPU accounting:
 *
 *   node --import tsx scripts/bench/sfu-viewers.ts <baseUrl> <sessionId> <viewToken>
 *
 * Reads commands on stdin, one per line, and answers each with one JSON line on stdout:
 *   add <n>   n more viewers join through the product's viewer API (the browser client's
 *             calls, with werift in place of mediasoup-client; test/helpers/sfu-viewer.ts)
 *             → { joined, firstKeyFrameMs, resumedMs, refused } (refused: joins answered 503)
 *   report    → { viewers: [{ frames, fps, firstKeyFrameMs }] } (fps since the last report)
 */
import { createInterface } from 'node:readline';
import { joinSfuViewer, type SfuViewer, ViewerApiError } from '../../test/helpers/sfu-viewer.ts';

const [baseUrl, sessionId, viewToken] = process.argv.slice(2) as [string, string, string];
if (!viewToken) {
  console.error('usage: sfu-viewers.ts <baseUrl> <sessionId> <viewToken>');
  process.exit(2);
}

const viewers: SfuViewer[] = [];
/** Frames each viewer had at the last report. */
const framesAtReport = new Map<SfuViewer, number>();
let lastReport = performance.now();

async function waitForKeyFrames(joined: SfuViewer[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (joined.some((v) => v.firstKeyFrameMs === null) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One join; a 503 (viewer limit) is counted by its code instead of failing the run. */
async function join(refused: string[]): Promise<SfuViewer | null> {
  try {
    const viewer = await joinSfuViewer(baseUrl, sessionId, viewToken);
    viewers.push(viewer);
    return viewer;
  } catch (error) {
    if (error instanceof ViewerApiError && error.status === 503) {
      refused.push(error.code);
      return null;
    }
    throw error;
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'add') {
    const refused: string[] = [];
    const joined = (
      await Promise.all(Array.from({ length: Number(arg) }, () => join(refused)))
    ).filter((v): v is SfuViewer => v !== null);
    await waitForKeyFrames(joined);
    const firstKeyFrameMs = joined.map((v) => v.firstKeyFrameMs);
    const resumedMs = joined.map((v) => v.resumedMs);
    process.stdout.write(
      `${JSON.stringify({ joined: viewers.length, firstKeyFrameMs, resumedMs, refused })}\n`,
    );
  } else if (command === 'report') {
    const now = performance.now();
    const seconds = (now - lastReport) / 1000;
    lastReport = now;
    const report = viewers.map((v) => {
      const fps = (v.frames - (framesAtReport.get(v) ?? 0)) / seconds;
      framesAtReport.set(v, v.frames);
      return { frames: v.frames, fps, firstKeyFrameMs: v.firstKeyFrameMs };
    });
    process.stdout.write(`${JSON.stringify({ viewers: report })}\n`);
  } else if (command === 'quit') {
    break;
  }
}
await Promise.all(viewers.map((v) => v.close()));
process.exit(0);
