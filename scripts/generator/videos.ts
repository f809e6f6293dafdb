import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const VIDEO = /\.(mp4|mpg|mpeg|mov|mkv|webm|avi|m4v)$/i;

/** Video files in the given folders (sorted by name) and the given files, in order. */
export async function listVideos(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      for (const name of (await readdir(p)).sort()) if (VIDEO.test(name)) files.push(join(p, name));
    } else files.push(p);
  }
  return files;
}
