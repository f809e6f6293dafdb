import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveExtension } from '../../src/live/index.ts';
import {
  boundHostNames,
  createApp,
  type FacecastServer,
  resolveServerConfig,
  startServer,
} from '../../src/server/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';

// A corpus of bad requests against the real server (live sessions mounted): each answers a
// stable 4xx (or 503 for capacity) with a machine code, nothing is left in the upload
// folder, and the server keeps serving. Limits are small so the cases stay cheap.

const MAX_PHOTO = 500_000;
const MAX_AUDIO = 1_000_000;
let server: FacecastServer;
let dataDir: string;
let cleanup: () => Promise<void>;
let avatarId: string;
let live: ReturnType<typeof liveExtension>;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of known shape, checked by the assertions
type Body = Record<string, any>;
const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

function form(fields: Record<string, string | Blob>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
}

/** A body that streams `total` bytes in 64 KiB chunks without declaring its length. */
function chunked(total: number, first: Uint8Array = new Uint8Array(0)): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const chunk = sent === 0 && first.length > 0 ? first : new Uint8Array(64 * 1024).fill(32);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

async function expectError(res: Response, status: number, code: string): Promise<Body> {
  const body = (await res.json()) as Body;
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message).not.toMatch(/upload-[0-9a-f]{16}|\/uploads\//);
  return body;
}

beforeAll(async () => {
  const tmp = await tempDir('facecast-bad-input-');
  cleanup = tmp.cleanup;
  dataDir = join(tmp.dir, 'data');
  live = liveExtension({ fanout: false, generator: 'off', log: () => {} });
  server = await startServer(
    resolveServerConfig(
      { port: 0, dataDir, maxPhotoBytes: MAX_PHOTO, maxAudioBytes: MAX_AUDIO, maxUploads: 1 },
      {},
    ),
    { extensions: [live] },
  );
  const photo = new File([await readFile(fixture('face/portrait_s42.jpg'))], 'p.jpg');
  const res = await api('/v1/avatars', { method: 'POST', body: form({ photo }) });
  expect(res.status).toBe(201);
  avatarId = ((await res.json()) as Body).id;
});

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('body limits and content types on every route', () => {
  it('POST /v1/sessions: 5 MB → 413 (declared or chunked), text/plain → 415, bad JSON → 400', async () => {
    const big = JSON.stringify({ avatarId, pad: 'x'.repeat(5 * 1024 * 1024) });
    const json = { 'content-type': 'application/json' };
    await expectError(
      await api('/v1/sessions', { method: 'POST', headers: json, body: big }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await expectError(
      await api('/v1/sessions', {
        method: 'POST',
        headers: json,
        body: chunked(5 * 1024 * 1024),
        duplex: 'half',
      } as RequestInit),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await expectError(
      await api('/v1/sessions', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ avatarId }),
      }),
      415,
      'UNSUPPORTED_CONTENT_TYPE',
    );
    await expectError(
      await api('/v1/sessions', { method: 'POST', headers: json, body: '{"avatarId":' }),
      400,
      'LIVE_BAD_REQUEST',
    );
    expect(live.manager?.size).toBe(0);
  });

  it('uploads: a file past its limit while streaming (no length declared) → 413; a non-image → 415 before it is stored', async () => {
    const boundary = 'xBOUNDARYx';
    const head = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]), // a JPEG's first bytes: past the sniffing
    ]);
    await expectError(
      await api('/v1/avatars', {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: chunked(3 * MAX_PHOTO, head),
        duplex: 'half',
      } as RequestInit),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const notes = new File(['meeting notes\n'.repeat(10_000)], 'me.jpg', { type: 'image/jpeg' });
    await expectError(
      await api('/v1/avatars', { method: 'POST', body: form({ photo: notes }) }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectError(
      await api('/v1/avatars', {
        method: 'POST',
        body: form({ photo: notes, other: new File(['x'], 'x') }),
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('malformed forms: no file, an unexpected file, a broken body → 400 with a code', async () => {
    await expectError(
      await api('/v1/avatars', { method: 'POST', body: form({ allowMultipleFaces: 'true' }) }),
      400,
      'VALIDATION_FAILED',
    );
    const jpeg = new File([await readFile(fixture('face/portrait_s42.jpg'))], 'p.jpg');
    await expectError(
      await api('/v1/avatars', { method: 'POST', body: form({ selfie: jpeg }) }),
      400,
      'VALIDATION_FAILED',
    );
    await expectError(
      await api('/v1/avatars', {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=zz' },
        body: '--zz\r\nContent-Disposition: form-data; name="photo"; filename="a"\r\n\r\nabc',
      }),
      400,
      'INVALID_MULTIPART',
    );
    await expectError(
      await api('/v1/avatars', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'photo',
      }),
      415,
      'UNSUPPORTED_CONTENT_TYPE',
    );
  });

  it('uploads in flight are capped: past the cap → 503 UPLOADS_BUSY with Retry-After', async () => {
    const boundary = 'slowBOUNDARY';
    let release: () => void = () => {};
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          new TextEncoder().encode(
            `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n`,
          ),
        );
        release = () => controller.error(new Error('client gave up'));
      },
    });
    const abort = new AbortController();
    const first = api('/v1/avatars', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: stalled,
      duplex: 'half',
      signal: abort.signal,
    } as RequestInit).catch(() => undefined);
    // The first upload holds the only slot until its body ends.
    await new Promise((r) => setTimeout(r, 300));
    const photo = new File([await readFile(fixture('face/portrait_s42.jpg'))], 'p.jpg');
    const res = await api('/v1/avatars', { method: 'POST', body: form({ photo }) });
    expect(res.headers.get('retry-after')).toBe('5');
    await expectError(res, 503, 'UPLOADS_BUSY');
    release();
    abort.abort();
    await first;
  });
});

describe('media refused at submission with its own code', () => {
  it('a truncated MP3 → AUDIO_TRUNCATED; emoji-only text → TTS_EMPTY_TEXT (JSON and form)', async () => {
    const mp3 = await readFile(fixture('speech/jfk.mp3'));
    const half = new File([mp3.subarray(0, mp3.length >> 1)], 'half.mp3');
    await expectError(
      await api('/v1/videos', { method: 'POST', body: form({ avatarId, audio: half }) }),
      400,
      'AUDIO_TRUNCATED',
    );
    await expectError(
      await api('/v1/videos', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ avatarId, text: '🙂🎉 👍' }),
      }),
      400,
      'TTS_EMPTY_TEXT',
    );
    await expectError(
      await api('/v1/videos', { method: 'POST', body: form({ avatarId, text: '… !!' }) }),
      400,
      'TTS_EMPTY_TEXT',
    );
  });

  it('two and five faces in a row → FACE_MULTIPLE; no face → FACE_NOT_FOUND without a file name', async () => {
    const one = await sharp(fixture('face/portrait_s42.jpg')).resize(400, 400).png().toBuffer();
    for (const n of [2, 5]) {
      const row = await sharp({
        create: { width: 400 * n, height: 400, channels: 3, background: '#808080' },
      })
        .composite(Array.from({ length: n }, (_, i) => ({ input: one, left: 400 * i, top: 0 })))
        .jpeg()
        .toBuffer();
      const body = await expectError(
        await api('/v1/avatars', {
          method: 'POST',
          body: form({ photo: new File([row], 'g.jpg') }),
        }),
        400,
        'FACE_MULTIPLE',
      );
      expect(body.error.details.faces).toBe(n);
    }
    const sky = await sharp({
      create: { width: 320, height: 320, channels: 3, background: { r: 90, g: 140, b: 200 } },
    })
      .png()
      .toBuffer();
    const body = await expectError(
      await api('/v1/avatars', { method: 'POST', body: form({ photo: new File([sky], 's.png') }) }),
      400,
      'FACE_NOT_FOUND',
    );
    expect(body.error.message).toBe('no face found in the photo');
  });
});

describe('origin policy, host names, /metrics', () => {
  it('a cross-origin POST → 403 ORIGIN_FORBIDDEN by default; same-origin and Origin-less requests pass', async () => {
    const res = await api('/v1/avatars', {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: form({ allowMultipleFaces: 'true' }),
    });
    await expectError(res, 403, 'ORIGIN_FORBIDDEN');
    await expectError(
      await api('/v1/sessions', {
        method: 'POST',
        headers: { origin: 'null', 'content-type': 'application/json' },
        body: JSON.stringify({ avatarId }),
      }),
      403,
      'ORIGIN_FORBIDDEN',
    );
    // Same origin, and no Origin at all (curl): past the policy, refused for the empty form.
    for (const headers of [{ origin: server.url }, {}] as Record<string, string>[]) {
      await expectError(
        await api('/v1/avatars', { method: 'POST', headers, body: form({ x: '1' }) }),
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  it('an allowed origin passes and gets CORS headers; a Host the server does not answer to → 403', async () => {
    const app = createApp(server.services, {
      allowedOrigins: ['https://app.example'],
      allowedHosts: boundHostNames('127.0.0.1'),
    });
    const post = (url: string, origin: string) =>
      app.request(url, { method: 'POST', headers: { origin }, body: form({ x: '1' }) });
    await expectError(
      await post('http://localhost/v1/avatars', 'https://app.example'),
      400,
      'VALIDATION_FAILED',
    );
    await expectError(
      await post('http://localhost/v1/avatars', 'https://other.example'),
      403,
      'ORIGIN_FORBIDDEN',
    );
    const preflight = await app.request('http://localhost/v1/avatars', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host.
    await expectError(await app.request('http://evil.example/v1/avatars/x'), 403, 'HOST_FORBIDDEN');
    expect((await app.request('http://127.0.0.1/healthz')).status).toBe(200);
    expect((await app.request('http://[::1]/healthz')).status).toBe(200);
    expect(boundHostNames('0.0.0.0')).toBeUndefined();
    expect(boundHostNames('0.0.0.0', ['avatars.example'])).toEqual(['avatars.example']);
  });

  it('/metrics needs the key when keys are on; the default server refuses a foreign Host', async () => {
    const key = 'k'.repeat(24);
    const app = createApp(server.services, { apiKeys: [key] });
    await expectError(await app.request('/metrics'), 401, 'UNAUTHORIZED');
    const ok = await app.request('/metrics', { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^facecast_live_sessions 0$/m);
    expect((await app.request('/healthz')).status).toBe(200);
  });
});

describe('GET /v1/avatars', () => {
  it('lists avatars newest first, a page at a time, and refuses a bad cursor or limit', async () => {
    // Two more stored avatars, copies of the first with later creation times.
    const root = join(dataDir, 'avatars');
    const ids = ['av_AAAAAAAAAAAAAAAA', 'av_BBBBBBBBBBBBBBBB'];
    for (const [i, id] of ids.entries()) {
      await cp(join(root, avatarId), join(root, id), { recursive: true });
      const entry = {
        format: 'facecast.avatar-entry',
        version: 1,
        id,
        createdAt: `2099-01-0${i + 1}T00:00:00.000Z`,
      };
      await writeFile(join(root, id, 'entry.json'), JSON.stringify(entry));
    }
    const first = (await (await api('/v1/avatars?limit=2')).json()) as Body;
    expect(first.avatars.map((a: Body) => a.id)).toEqual([ids[1], ids[0]]);
    expect(first.avatars[0].links.self).toBe(`/v1/avatars/${ids[1]}`);
    expect(typeof first.next).toBe('string');
    // Deleting the page's last avatar does not break the cursor.
    expect((await api(`/v1/avatars/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
    const second = (await (await api(`/v1/avatars?limit=2&cursor=${first.next}`)).json()) as Body;
    expect(second.avatars.map((a: Body) => a.id)).toEqual([avatarId]);
    expect(second.next).toBeNull();
    await expectError(await api('/v1/avatars?cursor=nope'), 400, 'VALIDATION_FAILED');
    await expectError(await api('/v1/avatars?limit=0'), 400, 'VALIDATION_FAILED');
    await expectError(await api('/v1/avatars?limit=1000'), 400, 'VALIDATION_FAILED');
  });
});

describe('OpenAPI', () => {
  it('documents every API route the app serves, the session routes and the ws protocol included', async () => {
    const doc = (await (await api('/openapi.json')).json()) as Body;
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Body>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const served = server.app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/'))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
    expect(documented).toContain('POST /v1/sessions');
    expect(documented).toContain('GET /v1/sessions/{id}/ws');
    expect(Object.keys(doc.components.schemas)).toContain('LiveClientMessage');
  });
});

describe('after the corpus', () => {
  it('the server is healthy and no upload is left on disk', async () => {
    const res = await api('/healthz');
    expect(res.status).toBe(200);
    expect(((await res.json()) as Body).status).toBe('ok');
    expect(await readdir(join(dataDir, 'uploads'))).toEqual([]);
  });
});
