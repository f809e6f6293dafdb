/**
 * The held-out list (test/fixtures/heldout/heldout.json): the fixture sources that no training,
 * tuning or threshold may touch. Every motion data script reads it through here.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';

export const HELDOUT_JSON = new URL('../../test/fixtures/heldout/heldout.json', import.meta.url)
  .pathname;

const heldoutSchema = z.object({
  format: z.literal('facecast.heldout'),
  sources: z.array(z.string().min(1)).min(1),
  pairs: z.object({ list: z.array(z.tuple([z.string(), z.string()])) }),
});
export type Heldout = z.infer<typeof heldoutSchema>;

/** heldout.json, validated (paths in it are relative to its folder). */
export async function loadHeldout(path = HELDOUT_JSON): Promise<Heldout> {
  return heldoutSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

/** The held-out source stems (file names without extension in the shared fixtures). */
export async function loadHeldoutSources(path = HELDOUT_JSON): Promise<Set<string>> {
  return new Set((await loadHeldout(path)).sources);
}

/** The stem of a fixture path: `…/talk_x.mp4` → `talk_x`. */
export function sourceStem(file: string): string {
  return basename(file).replace(/\.[^.]+$/, '');
}
