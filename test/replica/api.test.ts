import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avatarForm, uploadAvatar } from '../../client/src/avatar-upload.ts';
import { type FacecastServer, resolveServerConfig, startServer } from '../../src/server/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';
import { readSse } from '../helpers/sse.ts';
import { mp4Facts } from '../helpers/video.ts';

// Video avatars through HTTP with the real stages: POST /v1/avatars with a video, then
// POST /v1/videos rendering it.

let server: FacecastServer;
let dir: string;
let cleanup: () => Promise<void>;
let clip: string;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of known shape, checked by the assertions
type Body = Record<string, any>;
const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
const json = async (res: Response) => (await res.json()) as Body;
const upload = async (field: string, path: string) => {
  const data = new FormData();
  data.set(field, new File([await readFile(path)], 'upload', { type: 'application/octet-stream' }));
  return data;
};

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-replica-api-'));
  clip = join(dir, 'clip.mp4');
  await ffmpeg(['-i', fixture('dub/retalking.mp4'), '-vf', 'fps=25,scale=256:256', '-an', clip]);
  server = await startServer(
    resolveServerConfig({ port: 0, dataDir: join(dir, 'data'), maxAudioBytes: 1_000_000 }, {}),
  );
}, 300_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('video avatars over HTTP', () => {
  it('sends a clip picked in the browser page as "video", a photo as "photo"', () => {
    const bytes = new Uint8Array(8);
    for (const [name, type, field] of [
      ['me.mp4', 'video/mp4', 'video'],
      ['me.webm', 'video/webm', 'video'],
      ['me.mov', '', 'video'],
      ['me.jpg', 'image/jpeg', 'photo'],
    ] as const) {
      const form = avatarForm(new File([bytes], name, { type }));
      expect(form.has(field)).toBe(true);
      expect(form.has(field === 'video' ? 'photo' : 'video')).toBe(false);
    }
  });

  it('creates a video avatar (as the browser page uploads it) and renders speech with it', async () => {
    // The page's own upload (client/src/avatar-upload.ts): the route, the field, the answer.
    const file = new File([await readFile(clip)], 'clip.mp4', { type: 'video/mp4' });
    const id = await uploadAvatar(file, {}, server.url);
    const fetched = await api(`/v1/avatars/${id}`);
    const avatar = await json(fetched);
    expect(fetched.status).toBe(200);
    expect(avatar).toMatchObject({
      kind: 'video',
      video: { widthPx: 256, heightPx: 256, mouthBank: true },
    });
    expect(avatar.video.usableFrames).toBeGreaterThan(140);

    const speech = join(dir, 'speech.wav');
    await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', '3', speech]);
    const data = await upload('audio', speech);
    data.set('avatarId', avatar.id);
    const res = await api('/v1/videos', { method: 'POST', body: data });
    expect(res.status).toBe(202);
    const job = await json(res);
    const events = await readSse(await api(`/v1/jobs/${job.id}/events`));
    const last = JSON.parse(events.at(-1)?.data ?? '{}') as Body;
    expect(events.at(-1)?.event).toBe('succeeded');
    expect(last.result).toMatchObject({ renderer: 'replica', frames: 75 });
    const mp4 = join(dir, 'out.mp4');
    await writeFile(mp4, new Uint8Array(await (await api(last.links.output)).arrayBuffer()));
    const facts = await mp4Facts(mp4);
    expect(facts).toMatchObject({ videoCodec: 'h264', audioCodec: 'aac', width: 256, height: 256 });
    expect(Math.abs(facts.videoDurationMs - 3000)).toBeLessThanOrEqual(40);
  }, 600_000);

  it('refuses a variable-frame-rate video and a non-video with their codes', async () => {
    const vfr = await api('/v1/avatars', {
      method: 'POST',
      body: await upload('video', fixture('dub/retalking.mp4')),
    });
    expect(vfr.status).toBe(400);
    expect((await json(vfr)).error.code).toBe('REPLICA_VARIABLE_FRAME_RATE');
    const wav = await api('/v1/avatars', {
      method: 'POST',
      body: await upload('video', fixture('speech/jfk.wav')),
    });
    expect(wav.status).toBe(415);
    expect((await json(wav)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, 300_000);
});
