import { resolve } from 'node:path';
import { generatorModeSchema } from '../../generator/index.ts';
import { resolveWorkerConfig, startWorker } from '../../server/index.ts';
import { type Command, numberFlag, parseCommandArgs, UsageError } from '../command.ts';

export const workerCommand: Command = {
  usage: `Usage: facecast worker --queue redis://host:port [--data-dir data] [--concurrency n] [options]

Takes video and dub jobs from the Redis queue that "facecast serve --queue" fills, and runs
them with the same pipeline as the embedded queue. The data folder must be the one the API
nodes use (a shared folder across hosts). A worker killed mid-job loses it to another worker
once its lock expires; SIGINT/SIGTERM hands running jobs back at once. See docs/scaling.md.

Options (each also settable by an environment variable):
  --queue <url>         FACECAST_QUEUE               the queue's Redis (required)
  --data-dir <dir>      FACECAST_DATA_DIR            shared data folder (default ./data)
  --concurrency <n>     FACECAST_WORKER_CONCURRENCY  jobs at once (default: cores / 1.5, at least 1)
  --max-attempts <n>    FACECAST_MAX_ATTEMPTS        runs per job before it fails (default 3)
  --lock-ms <n>         FACECAST_WORKER_LOCK_MS      a silent worker loses its jobs after this (default 30000)
  --generator <mode>    FACECAST_GENERATOR           on | off | auto (default), as for serve
                        FACECAST_MAX_AUDIO_MS, FACECAST_MAX_VIDEO_MS, FACECAST_MOTION_MODEL_DIR
  --json                print {"worker": …} on start and one JSON line per job event
  -h, --help`,
  async run(context) {
    const { values } = parseCommandArgs(
      context.argv,
      {
        queue: { type: 'string' },
        'data-dir': { type: 'string' },
        concurrency: { type: 'string' },
        'max-attempts': { type: 'string' },
        'lock-ms': { type: 'string' },
        generator: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const optional = (name: string, value: string | undefined) =>
      value === undefined ? undefined : numberFlag(value, name, 0);
    if (!values.queue && !process.env.FACECAST_QUEUE) {
      throw new UsageError('--queue redis://host:port is required (or FACECAST_QUEUE)');
    }
    const config = resolveWorkerConfig({
      queue: values.queue,
      dataDir: values['data-dir'],
      concurrency: optional('concurrency', values.concurrency),
      maxAttempts: optional('max-attempts', values['max-attempts']),
      lockMs: optional('lock-ms', values['lock-ms']),
    });
    const wanted = values.generator ?? process.env.FACECAST_GENERATOR ?? 'auto';
    const mode = generatorModeSchema.safeParse(wanted);
    if (!mode.success) throw new UsageError(`--generator must be on, off or auto, got "${wanted}"`);
    const modelDir = process.env.FACECAST_MOTION_MODEL_DIR;
    const log = (line: string) =>
      values.json
        ? context.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), event: line })}\n`)
        : context.stderr.write(`facecast worker: ${line}\n`);
    const running = await startWorker(config, {
      signal: context.signal,
      log,
      pipeline: {
        generator: mode.data,
        ...(modelDir ? { motion: { modelDir: resolve(modelDir) } } : {}),
      },
    });
    const { id } = running.worker;
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ worker: id, concurrency: running.concurrency })}\n`);
    } else {
      context.stdout.write(
        `facecast worker ${id} taking jobs (${running.concurrency} at once) from ${config.queue.replace(/\/\/[^@/]*@/, '//***@')}\n`,
      );
    }
    await new Promise<void>((done) => {
      if (context.signal.aborted) done();
      context.signal.addEventListener('abort', () => done(), { once: true });
    });
    await running.close();
  },
};
