import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server.ts';
import { readSse } from '../helpers/sse.ts';
import { mp4Facts } from '../helpers/video.ts';

// `facecast serve` as a real child process, killed with SIGKILL in the middle of a render:
// the accepted job must survive, run again on the next start and finish.

let servers: ServerProcess[] = [];
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const server of servers) await server.kill('SIGKILL');
  servers = [];
  await cleanup?.();
});

describe('restart survival', () => {
  it('a job interrupted by SIGKILL resumes after a restart and finishes', async () => {
    const temp = await tempDir('facecast-restart-');
    cleanup = temp.cleanup;
    const dataDir = join(temp.dir, 'data');
    const first = await startServerProcess(['--data-dir', dataDir]);
    servers.push(first);

    const photo = new FormData();
    photo.set('photo', new File([await readFile(fixture('face/portrait_s42.jpg'))], 's42.jpg'));
    const avatar = (await (
      await fetch(`${first.url}/v1/avatars`, { method: 'POST', body: photo })
    ).json()) as {
      id: string;
    };
    const upload = new FormData();
    upload.set('avatarId', avatar.id);
    upload.set('audio', new File([await readFile(fixture('speech/jfk.wav'))], 'jfk.wav'));
    const accepted = await fetch(`${first.url}/v1/videos`, { method: 'POST', body: upload });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };

    // Kill the server as soon as the render is under way.
    const seen = await readSse(await fetch(`${first.url}/v1/jobs/${id}/events`), (e) => {
      const job = JSON.parse(e.data) as { state: string; progress: { framesDone?: number } };
      return job.state === 'running' && (job.progress.framesDone ?? 0) > 0;
    });
    await first.kill('SIGKILL');
    const midway = JSON.parse(seen.at(-1)?.data ?? '{}') as {
      state: string;
      progress: { framesDone: number; framesTotal: number };
    };
    expect(midway.state).toBe('running');
    expect(midway.progress.framesDone).toBeLessThan(midway.progress.framesTotal);
    const onDisk = JSON.parse(await readFile(join(dataDir, 'jobs', id, 'job.json'), 'utf8')) as {
      state: string;
    };
    expect(onDisk.state).toBe('running');

    const second = await startServerProcess(['--data-dir', dataDir]);
    servers.push(second);
    const events = await readSse(await fetch(`${second.url}/v1/jobs/${id}/events`));
    const done = JSON.parse(events.at(-1)?.data ?? '{}') as { state: string; attempts: number };
    expect(events.at(-1)?.event).toBe('succeeded');
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });

    const mp4 = join(temp.dir, 'out.mp4');
    await writeFile(
      mp4,
      new Uint8Array(await (await fetch(`${second.url}/v1/jobs/${id}/output`)).arrayBuffer()),
    );
    const facts = await mp4Facts(mp4);
    const audioMs = (await decodeAudioFile(fixture('speech/jfk.wav'))).durationMs;
    expect(facts).toMatchObject({ videoCodec: 'h264', audioCodec: 'aac', fps: 25, width: 512 });
    expect(Math.abs(facts.videoDurationMs - audioMs)).toBeLessThanOrEqual(40);
    // Nothing of the killed run is left: no scratch folder, no partial encoder files, no input.
    expect((await readdir(join(dataDir, 'jobs', id))).sort()).toEqual(['job.json', 'output.mp4']);
    await second.kill('SIGTERM');
    expect(second.child.exitCode).toBe(0);
  });
});
