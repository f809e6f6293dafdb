import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { JobError } from './errors.ts';
import { JOB_ID_PATTERN, type JobRecord, jobRecordSchema } from './schema.ts';

/** File and folder names inside one job's folder. */
export const JOB_FILE = 'job.json';
/** Uploaded inputs; removed when the job reaches a final state. */
export const INPUT_DIR = 'input';
/** The runner's scratch space; removed after every run and at start-up. */
export const WORK_DIR = 'work';

/** Layout of a job on disk: `<root>/<id>/{job.json,input/,work/,…outputs}`. */
export interface JobPaths {
  dir: string;
  inputDir: string;
  workDir: string;
}

export function newJobId(): string {
  return `job_${randomBytes(12).toString('base64url')}`;
}

export function jobPaths(root: string, id: string): JobPaths {
  if (!JOB_ID_PATTERN.test(id)) throw new JobError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`);
  const dir = join(root, id);
  return { dir, inputDir: join(dir, INPUT_DIR), workDir: join(dir, WORK_DIR) };
}

/**
 * Writes the job file atomically (temporary file, fsync, rename), so a crash leaves either the
 * old or the new record, never a torn one.
 */
export async function writeJobFile(root: string, record: JobRecord): Promise<void> {
  const { dir } = jobPaths(root, record.id);
  // A name unique to this write: two writers of one job (a queue being abandoned and the one
  // recovering it, in one process) must never rename each other's temporary file.
  const tmp = join(dir, `${JOB_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, JOB_FILE));
}

/** What {@link scanJobs} found on disk. */
export interface ScanResult<I, R> {
  jobs: JobRecord<I, R>[];
  /** Folders without a job file (the request died before the job was committed): removed. */
  discarded: string[];
  /** Folders whose job file does not parse (damaged, or from another version): left alone. */
  skipped: { id: string; reason: string }[];
}

/**
 * Reads every job folder under `root`. The job file is the commit point of a submission: a
 * folder without one was never accepted and is removed. A job file that does not parse is
 * reported and left on disk for a person to look at (nothing accepted is deleted silently).
 */
export async function scanJobs<I, R>(
  root: string,
  inputSchema: z.ZodType<I>,
  resultSchema: z.ZodType<R>,
): Promise<ScanResult<I, R>> {
  await mkdir(root, { recursive: true });
  const jobs: JobRecord<I, R>[] = [];
  const discarded: string[] = [];
  const skipped: ScanResult<I, R>['skipped'] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !JOB_ID_PATTERN.test(entry.name)) continue;
    const dir = join(root, entry.name);
    // A job-file write cut short by a crash leaves its temporary file behind.
    for (const name of await readdir(dir)) {
      if (name.startsWith(`${JOB_FILE}.`) && name.endsWith('.tmp'))
        await rm(join(dir, name), { force: true });
    }
    let text: string;
    try {
      text = await readFile(join(dir, JOB_FILE), 'utf8');
    } catch {
      discarded.push(entry.name);
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    try {
      const { input, result, ...base } = jobRecordSchema.parse(JSON.parse(text));
      if (base.id !== entry.name) throw new Error(`id ${base.id} does not match its folder`);
      const job: JobRecord<I, R> = { ...base, input: inputSchema.parse(input) };
      if (result !== undefined) job.result = resultSchema.parse(result);
      jobs.push(job);
    } catch (error) {
      const reason =
        error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
      skipped.push({ id: entry.name, reason: reason.replaceAll('\n', ' ') });
    }
  }
  jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return { jobs, discarded, skipped };
}

/**
 * Moves an uploaded file into a job's input folder: a rename when both are on one file
 * system (the upload folder sits next to the jobs), a copy then removal otherwise.
 */
export async function moveIntoJob(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}
