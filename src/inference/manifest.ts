import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/** How a model domain reports a manifest that is absent or invalid (its own error codes). */
export interface ManifestErrors {
  missing(message: string, cause: unknown): Error;
  invalid(message: string, cause?: unknown): Error;
}

/**
 * Reads and validates a model's `manifest.json`: `errors.missing` when it cannot be read,
 * `errors.invalid` when it is not JSON or fails `schema` (the message names the first bad
 * field). `label` names the file in the messages, e.g. "motion model manifest".
 *
 * @example
 * const m = await readModelManifest(path, motionManifestSchema, 'motion model manifest', errors);
 */
export async function readModelManifest<T>(
  path: string,
  schema: z.ZodType<T>,
  label: string,
  errors: ManifestErrors,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw errors.missing(`no ${label} at ${path}`, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw errors.invalid(`${path} is not JSON`, cause);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw errors.invalid(
      `${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
