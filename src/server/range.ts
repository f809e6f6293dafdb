import { ApiError } from './errors.ts';

/** An inclusive byte range of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header for a file of `sizeBytes` (RFC 9110 §14): one range of the
 * `bytes` unit (`a-b`, `a-`, `-n`). Returns `undefined` to serve the whole file (no header,
 * another unit, or several ranges — allowed by the RFC: a server may ignore Range).
 * Throws RANGE_NOT_SATISFIABLE when the range lies outside the file.
 */
export function parseRange(header: string | undefined, sizeBytes: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(sizeBytes);
    start = Math.max(0, sizeBytes - suffix);
    end = sizeBytes - 1;
  } else {
    start = Number(first);
    end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
    if (last !== '' && Number(last) < start) return undefined;
  }
  if (start >= sizeBytes || sizeBytes === 0) throw unsatisfiable(sizeBytes);
  return { start, end };
}

function unsatisfiable(sizeBytes: number): ApiError {
  return new ApiError('RANGE_NOT_SATISFIABLE', `the file has ${sizeBytes} bytes`, {
    details: { sizeBytes },
  });
}
