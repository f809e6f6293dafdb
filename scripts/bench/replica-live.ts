/**
 * A live session on a video avatar (`npm run bench -- replica-live`): the footage streams at
 * 25 fps with the mouth driven by speech pushed over the ws; first frame after connect,
 * sustained fps, audio-in → frame-out latency; then, in this process, what opening the
 * avatar (session create) and its first frame cost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import { FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { createReplica, ReplicaPlayer } from '../../src/replica/index.ts';
import { HELDOUT_JSON } from '../data/heldout.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { loadLine, AVATAR_ID as PHOTO_ID, percentile, startServer, viewers, WAV } from './live.ts';
import { ffmpeg } from './replica-speed.ts';

const AVATAR_ID = 'katie512';
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

/** The held-out KatieHill clip upscaled to 512², made a video avatar under `root`. */
async function makeAvatar(root: string): Promise<string> {
  const clip = join(root, 'katie512.mp4');
  const source = join(dirname(HELDOUT_JSON), 'clips/katiehill_256.mp4');
  await ffmpeg(['-i', source, '-vf', 'scale=512:512', '-an', clip]);
  const model = await loadFaceModel();
  const landmarker = await FaceLandmarker.load({ video: true, body: false });
  const dir = join(root, 'avatars', AVATAR_ID);
  try {
    await createReplica(clip, dir, { model, landmarker });
  } finally {
    await landmarker.close();
  }
  return dir;
}

/** Opening the avatar (what a session create pays for it) and the first frame, ms. */
async function openAndFirstFrame(dir: string): Promise<{ openMs: number; firstMs: number }> {
  let t = performance.now();
  const player = await ReplicaPlayer.open(dir);
  const openMs = performance.now() - t;
  t = performance.now();
  await player.render(new Float32Array(BLENDSHAPE_COUNT));
  const firstMs = performance.now() - t;
  await player.close();
  return { openMs, firstMs };
}

export const replicaLiveBench: Bench = {
  id: 'replica-live',
  async run() {
    const seconds = Number(process.env.LIVE_SECONDS ?? 15);
    const root = await mkdtemp(join(tmpdir(), 'facecast-bench-replica-live-'));
    try {
      const dir = await makeAvatar(root);
      const server = await startServer(1, undefined, false, undefined, {}, [
        join(root, 'avatars'),
        'test/fixtures/avatars',
      ]);
      const loadBefore = await loadLine();
      const rows: (string | number)[][] = [];
      try {
        // The photo avatar first (the product's baseline, same server, same load), then the video.
        for (const [label, id] of [
          [`photo avatar (${PHOTO_ID}, 512², renderer on a worker thread)`, PHOTO_ID],
          [`video avatar (${AVATAR_ID}, 512² footage)`, AVATAR_ID],
        ] as const) {
          const [result] = await viewers(server.url, 1, seconds, undefined, WAV, id);
          const f = server.frames.get(result?.sessionId ?? '') ?? { sent: [], latency: [] };
          rows.push([
            label,
            `${f0(result?.firstFrameMs ?? Number.NaN)} ms`,
            f1(result?.fps ?? Number.NaN),
            f.sent.length,
            `${f0(percentile(f.latency, 0.5))} / ${f0(percentile(f.latency, 0.95))} ms`,
            result?.error ?? '',
          ]);
        }
      } finally {
        await server.close();
      }
      const loadAfter = await loadLine();
      const direct = await openAndFirstFrame(dir);
      return {
        id: 'replica-live',
        title: 'Live session on a video avatar (512² footage): first frame, fps, latency',
        body: [
          `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (shared). Command: \`npm run bench -- replica-live\` (LIVE_SECONDS=${seconds}).`,
          '',
          `One session on the real stages with a video avatar (the held-out katiehill_256 clip upscaled to 512², made with \`createReplica\`); jfk.wav pushed as PCM over the ws in 20 ms chunks paced by the wall clock; the viewer is a werift peer in a separate process (scripts/bench/live-viewer.ts). One session at a time on one server: the photo fixture avatar first (the baseline, same run and load), then the video avatar. First frame after connect = from the session going live (ICE/DTLS connected) to the first video frame's RTP at the viewer. Then, in this process: opening the video avatar (ReplicaPlayer.open, what POST /v1/sessions pays for it) and its first frame.`,
          '',
          table(
            [
              'avatar',
              'first frame after connect',
              'fps received (after 1 s)',
              'frames sent',
              'latency p50 / p95',
              'viewer error',
            ],
            rows,
          ),
          '',
          `The video avatar in this process afterwards: opening it ${f0(direct.openMs)} ms (first frame prepared), its first frame ${f0(direct.firstMs)} ms.`,
          '',
          'Targets (issue 14): first frame ≤ 300 ms after connect, 25 fps.',
        ].join('\n'),
      };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};
