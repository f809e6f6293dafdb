import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { controlsFromCsv, controlsToCsv } from './csv.ts';
import { ControlsError } from './errors.ts';
import { controlsFromJson, controlsToJson } from './json.ts';
import type { ControlsSequence } from './schema.ts';

export type ControlsFileFormat = 'csv' | 'json';

export function controlsFormatOf(path: string): ControlsFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  throw new ControlsError('CONTROLS_INVALID', `Controls files end in .csv or .json, got "${path}"`);
}

/** Reads a .csv or .json Controls file (format from the extension). */
export async function readControlsFile(path: string): Promise<ControlsSequence> {
  const format = controlsFormatOf(path);
  const text = await readFile(path, 'utf8');
  return format === 'csv' ? controlsFromCsv(text) : controlsFromJson(text);
}

/** Writes a .csv or .json Controls file (format from the extension). */
export async function writeControlsFile(path: string, sequence: ControlsSequence): Promise<void> {
  const format = controlsFormatOf(path);
  await writeFile(path, format === 'csv' ? controlsToCsv(sequence) : controlsToJson(sequence));
}
