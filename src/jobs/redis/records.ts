import type { Redis } from 'ioredis';
import { z } from 'zod';
import { JobError } from '../errors.ts';
import { FINAL_STATES, type JobRecord, type JobState, jobRecordSchema } from '../schema.ts';

/**
 * Job records in Redis: one hash per job (`record` JSON, `rev`, `state`, `run`), a hash of
 * counts by state and a sorted set of finished jobs by finish time. Every change goes through
 * one Lua script that compares the revision, writes, updates the counts and publishes the new
 * record, atomically: two nodes can never both move a job out of `running` (a job never ends
 * twice), and every API node sees every change.
 */

/** A record as stored, with the revision it was read at and the token of the run that owns it. */
export interface StoredJob<I, R> {
  record: JobRecord<I, R>;
  rev: string;
  /** The token of the run that last started (absent before the first run). */
  run: string | undefined;
}

/** What an update decides: the new record (and the run token to store with it), or nothing to do. */
export type JobChange<I, R> = { record: JobRecord<I, R>; run?: string } | undefined;

/** An event on the events channel: a job's new record and its state before. */
export const jobEventSchema = z.object({
  record: z.unknown(),
  previous: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']).optional(),
});

const WRITE = `
local rev = redis.call('HGET', KEYS[1], 'rev')
if ARGV[1] == '' then
  if rev then return 0 end
elseif rev ~= ARGV[1] then
  return 0
end
local nextRev = (tonumber(rev) or 0) + 1
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'rev', nextRev, 'state', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'run', ARGV[5]) end
if ARGV[3] ~= ARGV[4] then
  if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[3], -1) end
  redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
end
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7]) end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return nextRev
`;

const DELETE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
redis.call('HINCRBY', KEYS[2], state, -1)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/** Conflicting writers retry this often before giving up (each retry re-reads the record). */
const MAX_CONFLICTS = 50;

export class RedisJobRecords<I, R> {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #inputSchema: z.ZodType<I>;
  readonly #resultSchema: z.ZodType<R>;
  /** The channel every change is published on. */
  readonly eventsChannel: string;
  /** The channel cancel requests are published on (payload: the job id). */
  readonly cancelChannel: string;

  constructor(
    redis: Redis,
    prefix: string,
    schemas: { inputSchema: z.ZodType<I>; resultSchema: z.ZodType<R> },
  ) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#inputSchema = schemas.inputSchema;
    this.#resultSchema = schemas.resultSchema;
    this.eventsChannel = `${prefix}:events`;
    this.cancelChannel = `${prefix}:cancel`;
  }

  /** The job as stored, or undefined. */
  async read(id: string): Promise<StoredJob<I, R> | undefined> {
    const [text, rev, run] = await this.#redis.hmget(this.#key(id), 'record', 'rev', 'run');
    if (typeof text !== 'string' || typeof rev !== 'string') return undefined;
    return { record: this.parse(JSON.parse(text)), rev, run: run ?? undefined };
  }

  /** The job, or JOB_NOT_FOUND. */
  async get(id: string): Promise<JobRecord<I, R>> {
    const stored = await this.read(id);
    if (!stored) throw new JobError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`);
    return stored.record;
  }

  /** Stores a new job (JOB_FILE_INVALID if the id is taken, which random ids make unheard of). */
  async create(record: JobRecord<I, R>): Promise<void> {
    if (!(await this.#write(record, { rev: '', previous: undefined }))) {
      throw new JobError('JOB_FILE_INVALID', `job ${record.id} exists already`);
    }
  }

  /**
   * Reads the job, lets `decide` compute its next record from it, and writes that only if
   * nobody changed the job in between (else reads again and asks again). Resolves with the
   * record written, or undefined when `decide` returned nothing or the job does not exist.
   */
  async update(
    id: string,
    decide: (stored: StoredJob<I, R>) => JobChange<I, R>,
  ): Promise<JobRecord<I, R> | undefined> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const stored = await this.read(id);
      if (!stored) return undefined;
      const change = decide(stored);
      if (!change) return undefined;
      const written = await this.#write(change.record, {
        rev: stored.rev,
        previous: stored.record.state,
        ...(change.run ? { run: change.run } : {}),
      });
      if (written) return change.record;
    }
    throw new JobError(
      'JOB_FAILED',
      `job ${id} changed ${MAX_CONFLICTS} times while being updated`,
    );
  }

  /** Deletes a job's record; false if there was none. */
  async delete(id: string): Promise<boolean> {
    const keys = [this.#key(id), this.#countsKey(), this.#finishedKey()];
    return (await this.#redis.eval(DELETE, keys.length, ...keys, id)) === 1;
  }

  /** Jobs by state. */
  async counts(): Promise<Record<JobState, number>> {
    const raw = await this.#redis.hgetall(this.#countsKey());
    const count = (state: JobState) => Math.max(0, Number(raw[state] ?? 0));
    return {
      queued: count('queued'),
      running: count('running'),
      succeeded: count('succeeded'),
      failed: count('failed'),
      canceled: count('canceled'),
    };
  }

  /** Ids of jobs that finished before `beforeMs`. */
  finishedBefore(beforeMs: number): Promise<string[]> {
    return this.#redis.zrangebyscore(this.#finishedKey(), 0, beforeMs, 'LIMIT', 0, 100);
  }

  /** Checks a record read from Redis or an event. */
  parse(value: unknown): JobRecord<I, R> {
    const { input, result, ...base } = jobRecordSchema.parse(value);
    const record: JobRecord<I, R> = { ...base, input: this.#inputSchema.parse(input) };
    if (result !== undefined) record.result = this.#resultSchema.parse(result);
    return record;
  }

  async #write(
    record: JobRecord<I, R>,
    at: { rev: string; previous: JobState | undefined; run?: string },
  ): Promise<boolean> {
    const finishedMs =
      FINAL_STATES.has(record.state) && record.finishedAt ? Date.parse(record.finishedAt) : '';
    const event = JSON.stringify({ record, previous: at.previous });
    const keys = [this.#key(record.id), this.#countsKey(), this.#finishedKey()];
    const args = [
      at.rev,
      JSON.stringify(record),
      at.previous ?? '',
      record.state,
      at.run ?? '',
      String(finishedMs),
      record.id,
      this.eventsChannel,
      event,
    ];
    return Number(await this.#redis.eval(WRITE, keys.length, ...keys, ...args)) > 0;
  }

  #key(id: string): string {
    return `${this.#prefix}:job:${id}`;
  }

  #countsKey(): string {
    return `${this.#prefix}:counts`;
  }

  #finishedKey(): string {
    return `${this.#prefix}:finished`;
  }
}
