import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { JobError } from './errors.ts';
import { type JobPaths, jobPaths, WORK_DIR } from './store.ts';

/** Facts about a stored file. */
export interface StoredFile {
  sizeBytes: number;
  modifiedMs: number;
}

/**
 * Where job inputs and outputs live, as every node sees them. Runners work on local paths
 * ({@link JobStorage.paths}); the API reads outputs through {@link JobStorage.read}. The
 * folder implementation serves one disk or a folder shared by every host (NFS, SMB …); an
 * object store would stage inputs into `paths()` before a run and upload outputs after it.
 */
export interface JobStorage {
  /**
   * A job's folders. `run` names one run's scratch folder (`work/<run>/`), so two runs of one
   * job (a worker that lost its lock and the one that took the job over) never share it;
   * without it, `workDir` is the whole `work/` folder.
   */
  paths(id: string, run?: string): JobPaths;
  stat(id: string, file: string): Promise<StoredFile>;
  /** Reads a job file, optionally a byte range (inclusive). */
  read(id: string, file: string, range?: { start: number; end: number }): Readable;
  /** Removes one file of a job (a missing one is fine). */
  removeFile(id: string, file: string): Promise<void>;
  /** Removes the uploaded inputs and every run's scratch folder (the job is finished). */
  removeInputs(id: string): Promise<void>;
  /** Removes the job and all its files. */
  removeJob(id: string): Promise<void>;
}

const RUN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** {@link JobStorage} on a folder: `<root>/<id>/{input/,work/,…outputs}`. */
export class FolderStorage implements JobStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  paths(id: string, run?: string): JobPaths {
    const paths = jobPaths(this.root, id);
    if (run === undefined) return paths;
    if (!RUN_PATTERN.test(run)) throw new Error(`invalid run name ${JSON.stringify(run)}`);
    return { ...paths, workDir: join(paths.workDir, run) };
  }

  async stat(id: string, file: string): Promise<StoredFile> {
    try {
      const info = await stat(this.#file(id, file));
      return { sizeBytes: info.size, modifiedMs: info.mtimeMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new JobError('JOB_OUTPUT_NOT_READY', `job ${id} has no file ${file}`);
    }
  }

  read(id: string, file: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.#file(id, file), range ?? {});
  }

  async removeFile(id: string, file: string): Promise<void> {
    await rm(this.#file(id, file), { force: true });
  }

  async removeInputs(id: string): Promise<void> {
    const { dir, inputDir } = this.paths(id);
    await rm(inputDir, { recursive: true, force: true });
    await rm(join(dir, WORK_DIR), { recursive: true, force: true });
  }

  async removeJob(id: string): Promise<void> {
    await rm(this.paths(id).dir, { recursive: true, force: true });
  }

  #file(id: string, file: string): string {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(file) || file.startsWith('.')) {
      throw new JobError('JOB_OUTPUT_NOT_READY', `invalid file name ${JSON.stringify(file)}`);
    }
    return join(this.paths(id).dir, file);
  }
}
