import { z } from 'zod';
import { ControlsError } from './errors.ts';
import { type ControlsSequence, controlsSequenceSchema } from './schema.ts';

/** @example await writeFile('take.json', controlsToJson(sequence)); */
export function controlsToJson(sequence: ControlsSequence): string {
  return JSON.stringify(controlsSequenceSchema.parse(sequence));
}

/** Parses and validates a Controls JSON document; errors name the first offending path. */
export function controlsFromJson(text: string): ControlsSequence {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ControlsError('CONTROLS_BAD_JSON', `not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseControls(raw);
}

/** Validates an already-parsed value (e.g. an HTTP body) as a Controls sequence. */
export function parseControls(raw: unknown): ControlsSequence {
  const result = controlsSequenceSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new ControlsError(
      'CONTROLS_INVALID',
      `invalid Controls at ${where}: ${issue?.message ?? 'unknown problem'}`,
      {
        details: { issues: z.treeifyError(result.error) },
      },
    );
  }
  return result.data;
}
