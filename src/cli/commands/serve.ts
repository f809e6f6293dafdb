import { resolve } from 'node:path';
import { generatorModeSchema } from '../../generator/index.ts';
import { LIVE_GENERATOR_BUDGET_MS, liveExtension, liveOptionsFromEnv } from '../../live/index.ts';
import { resolveServerConfig, startServer } from '../../server/index.ts';
import { type Command, numberFlag, parseCommandArgs, UsageError } from '../command.ts';

export const serveCommand: Command = {
  usage: `Usage: facecast serve [--port 8080] [--host 127.0.0.1] [--data-dir data] [--queue redis://host:port] [options]

Serves the HTTP API (OpenAPI at /openapi.json, readable docs at /docs, /healthz, /metrics).
Avatars and jobs live under the data folder; jobs accepted before a stop or crash resume on
the next start. Stops gracefully on SIGINT/SIGTERM (running jobs go back to the queue).
With --queue, video and dub jobs go to Redis and "facecast worker" processes run them
(any number of API nodes and workers sharing the data folder; see docs/scaling.md).

Options (each also settable by an environment variable):
  --port <n>            FACECAST_PORT          TCP port, 0 = any free one (default 8080)
  --host <addr>         FACECAST_HOST          interface (default 127.0.0.1; 0.0.0.0 for the network)
  --data-dir <dir>      FACECAST_DATA_DIR      avatars and jobs (default ./data)
  --queue <url>         FACECAST_QUEUE         redis://host:port: jobs run by workers (default: in this process)
  --concurrency <n>     FACECAST_CONCURRENCY   jobs rendered at once (default 1)
  --client-dir <dir>    FACECAST_CLIENT_DIR    extra static files (the live client is served at / anyway)
  --max-sessions <n>    FACECAST_MAX_SESSIONS  live sessions at once (default 2; one more gets HTTP 503)
  --generator <mode>    FACECAST_GENERATOR     on | off | auto (default): generator + super-resolution
                        for video jobs and live sessions; auto turns it on only where the shipped
                        model's held-out evaluation beats warp-only (live: also within ${LIVE_GENERATOR_BUDGET_MS} ms/frame)
                        FACECAST_ICE_HOST, FACECAST_ICE_PORTS, FACECAST_STUN_URLS  live WebRTC
                        networking (advertised address, UDP range min-max, STUN URLs)
                        FACECAST_API_KEYS      comma-separated API keys (≥ 16 chars); unset = no auth
                        FACECAST_ALLOWED_ORIGINS  comma-separated origins allowed to POST/DELETE from a
                        browser besides the server's own (default: same-origin only)
                        FACECAST_ALLOWED_HOSTS    host names served besides the bound one's (DNS rebinding)
                        FACECAST_MAX_QUEUED, FACECAST_MAX_PHOTO_BYTES, FACECAST_MAX_AUDIO_BYTES,
                        FACECAST_MAX_AUDIO_MS, FACECAST_MAX_VIDEO_BYTES, FACECAST_MAX_VIDEO_MS (dubs),
                        FACECAST_MAX_UPLOADS, FACECAST_RETENTION_HOURS (see docs/stages/pipeline.md)
                        FACECAST_MOTION_MODEL_DIR  a motion model folder instead of models/motion
  --json                print {"url": …} on start instead of a sentence
  -h, --help`,
  async run(context) {
    const { values } = parseCommandArgs(
      context.argv,
      {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        'client-dir': { type: 'string' },
        'max-sessions': { type: 'string' },
        generator: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const config = resolveServerConfig({
      port: values.port === undefined ? undefined : numberFlag(values.port, 'port', 8080),
      host: values.host,
      dataDir: values['data-dir'],
      queue: values.queue,
      concurrency:
        values.concurrency === undefined
          ? undefined
          : numberFlag(values.concurrency, 'concurrency', 1),
      clientDir: values['client-dir'],
    });
    const modelDir = process.env.FACECAST_MOTION_MODEL_DIR;
    const wanted = values.generator ?? process.env.FACECAST_GENERATOR ?? 'auto';
    const mode = generatorModeSchema.safeParse(wanted);
    if (!mode.success) throw new UsageError(`--generator must be on, off or auto, got "${wanted}"`);
    const generator = mode.data;
    const live = liveExtension({
      ...liveOptionsFromEnv(process.env),
      ...(values['max-sessions'] === undefined
        ? {}
        : { maxSessions: numberFlag(values['max-sessions'], 'max-sessions', 2) }),
      ...(modelDir ? { motionOptions: { modelDir: resolve(modelDir) } } : {}),
      ...(process.env.FACECAST_LIVE_CAPACITY_AVATAR
        ? { capacityAvatar: process.env.FACECAST_LIVE_CAPACITY_AVATAR }
        : {}),
      generator,
    });
    const server = await startServer(config, {
      signal: context.signal,
      extensions: [live],
      pipeline: { generator, ...(modelDir ? { motion: { modelDir: resolve(modelDir) } } : {}) },
    });
    const { waiting, running } = server.services.jobs.stats();
    const queue = config.queue ? 'redis' : 'embedded';
    if (values.json) {
      context.stdout.write(
        `${JSON.stringify({ url: server.url, queue, jobs: { waiting, running } })}\n`,
      );
    } else {
      const jobs = config.queue
        ? `jobs: Redis queue, ${waiting} waiting, ${running} running on workers`
        : `${waiting + running} job(s) resumed`;
      context.stdout.write(
        `facecast listening on ${server.url} (live client: ${server.url}/ ; docs: ${server.url}/docs; ${jobs})\n`,
      );
    }
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
  },
};
