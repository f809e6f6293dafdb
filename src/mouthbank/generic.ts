import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MouthBank, type MouthBankPaintOptions } from './bank.ts';

/** The shipped bank of many people's real mouths (scripts/mouthbank/build-generic.ts). */
export const DEFAULT_MOUTH_BANK_DIR = fileURLToPath(
  new URL('../../models/mouthbank/', import.meta.url),
);

const manifestSchema = z.object({
  name: z.string(),
  version: z.string(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  entries: z.number().int().positive(),
});

/**
 * How the generic bank paints: one entry a paint, unsoftened, as when the photo avatars'
 * mouth-interior bench measured it: the blend and the feather (MOUTH_BANK_BLEND,
 * MOUTH_BANK_FEATHER) were decided on a person's own bank, not on many people's mouths.
 */
export const GENERIC_MOUTH_BANK_PAINT: Readonly<MouthBankPaintOptions> = { blend: 1, feather: 0 };

const loaded = new Map<string, Promise<MouthBank>>();

/**
 * Loads the generic mouth bank from `dir` (default models/mouthbank), checking each file
 * against the manifest's sha256; one load per folder and process (the bank is read-only).
 * Rejects when the folder is missing or a file does not match.
 */
export function loadGenericMouthBank(dir = DEFAULT_MOUTH_BANK_DIR): Promise<MouthBank> {
  let bank = loaded.get(dir);
  if (!bank) {
    bank = readChecked(dir);
    bank.catch(() => loaded.delete(dir));
    loaded.set(dir, bank);
  }
  return bank;
}

async function readChecked(dir: string): Promise<MouthBank> {
  const manifest = manifestSchema.parse(
    JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')),
  );
  for (const [name, sha] of Object.entries(manifest.files)) {
    const actual = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
    if (actual !== sha) throw new Error(`${join(dir, name)}: sha256 does not match the manifest`);
  }
  const bank = await MouthBank.load(dir, GENERIC_MOUTH_BANK_PAINT);
  if (bank.size !== manifest.entries) {
    throw new Error(`${dir}: ${bank.size} mouths, the manifest says ${manifest.entries}`);
  }
  return bank;
}
