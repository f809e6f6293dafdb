import type { JobRecord, JobService } from '../jobs/index.ts';
import { PROMETHEUS_CONTENT_TYPE, Registry } from './metrics.ts';

/** What the metrics read from a finished job's result (video and dub jobs both have it). */
interface FinishedWork {
  frames: number;
  durationMs: number;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_SECONDS_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * The server's metrics: HTTP requests and errors, jobs by state and how long they took,
 * frames rendered and the render rate, process memory. Served by GET /metrics.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly contentType = PROMETHEUS_CONTENT_TYPE;
  readonly #startedMs = Date.now();
  readonly #requests = this.registry.counter(
    'facecast_http_requests_total',
    'HTTP requests by method, route pattern and status code.',
  );
  readonly #requestSeconds = this.registry.histogram(
    'facecast_http_request_duration_seconds',
    'Time to the response headers, by route pattern.',
    SECONDS_BUCKETS,
  );
  readonly #errors = this.registry.counter(
    'facecast_errors_total',
    'Errors by stable code and where they surfaced (http, job).',
  );
  readonly #jobsSubmitted = this.registry.counter(
    'facecast_jobs_submitted_total',
    'Jobs accepted.',
  );
  readonly #jobsFinished = this.registry.counter(
    'facecast_jobs_finished_total',
    'Jobs that reached a final state, by state.',
  );
  readonly #jobSeconds = this.registry.histogram(
    'facecast_job_duration_seconds',
    'Wall time of a job run from start to its final state, by state.',
    JOB_SECONDS_BUCKETS,
  );
  readonly #frames = this.registry.counter(
    'facecast_render_frames_total',
    'Video frames written by finished jobs.',
  );
  readonly #renderSeconds = this.registry.counter(
    'facecast_render_seconds_total',
    'Wall time of finished jobs (rate(frames)/rate(seconds) is the render rate).',
  );
  #lastFps = 0;
  #lastRtf = 0;

  constructor() {
    this.registry.gauge(
      'facecast_render_frames_per_second',
      'Frames per second of wall time of the last finished job.',
      () => this.#lastFps,
    );
    this.registry.gauge(
      'facecast_render_realtime_factor',
      'Seconds of video per second of wall time of the last finished job.',
      () => this.#lastRtf,
    );
    this.registry.gauge('process_resident_memory_bytes', 'Resident set size.', () =>
      process.memoryUsage.rss(),
    );
    this.registry.gauge(
      'process_uptime_seconds',
      'Seconds since the server started.',
      () => (Date.now() - this.#startedMs) / 1000,
    );
  }

  get uptimeMs(): number {
    return Date.now() - this.#startedMs;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#requestSeconds.observe(seconds, { route });
  }

  observeError(code: string, source: 'http' | 'job'): void {
    this.#errors.inc({ code, source });
  }

  /** Counts the queue's jobs by state and records every finished job. */
  watchJobs<I, R extends FinishedWork>(queue: JobService<I, R>): () => void {
    this.registry.gauge('facecast_jobs', 'Jobs known to the server, by state.', () =>
      Object.entries(queue.stats().byState).map(([state, n]) => [{ state }, n]),
    );
    this.registry.gauge(
      'facecast_jobs_waiting',
      'Jobs waiting for a worker.',
      () => queue.stats().waiting,
    );
    return queue.onChange((job, previous) => this.#onJob(job, previous));
  }

  render(): string {
    return this.registry.render();
  }

  #onJob<I, R extends FinishedWork>(job: JobRecord<I, R>, previous: string | undefined): void {
    if (previous === undefined && job.state === 'queued' && job.attempts === 0) {
      this.#jobsSubmitted.inc();
    }
    if (previous === job.state || !['succeeded', 'failed', 'canceled'].includes(job.state)) return;
    this.#jobsFinished.inc({ state: job.state });
    if (job.startedAt && job.finishedAt) {
      const seconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
      this.#jobSeconds.observe(seconds, { state: job.state });
      if (job.result && seconds > 0) {
        this.#frames.inc({}, job.result.frames);
        this.#renderSeconds.inc({}, seconds);
        this.#lastFps = job.result.frames / seconds;
        this.#lastRtf = job.result.durationMs / 1000 / seconds;
      }
    }
    if (job.error && job.state === 'failed') this.observeError(job.error.code, 'job');
  }
}
