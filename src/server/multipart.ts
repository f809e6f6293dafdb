import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Context } from 'hono';
import { ApiError } from './errors.ts';
import { SNIFF_BYTES, type Sniffed, type SniffedKind, sniffMedia } from './sniff.ts';
import { isMultipart } from './upload.ts';

/** Room for a form's boundaries, part headers and text fields beyond its files, bytes. */
export const FORM_OVERHEAD_BYTES = 64 * 1024;

/** What one file field of a form may hold. */
export interface FilePartSpec {
  /** Largest accepted file, bytes: checked as the bytes stream in. */
  maxBytes: number;
  /** Accepted kinds, decided by the file's first bytes (never its name or declared type). */
  accept: readonly SniffedKind[];
  /** What the field should hold, for the error message (`a JPEG, PNG or WebP image`). */
  describe: string;
}

/** A file streamed to disk (in the upload folder) and what its content says it is. */
export interface ReceivedFile {
  path: string;
  sizeBytes: number;
  sniffed: Sniffed;
}

/** A parsed form: text fields, files on disk, and the function that removes those files. */
export interface ReceivedForm {
  fields: Record<string, string>;
  files: Record<string, ReceivedFile>;
  /** Removes the files that were not moved elsewhere. Idempotent. */
  cleanup(): Promise<void>;
}

export interface ReceiveOptions {
  /** Where the files are written (random names; the caller moves or removes them). */
  dir: string;
  /** Largest whole body, bytes (Content-Length checked first, then counted as it streams). */
  maxBodyBytes: number;
  /** The file fields this route takes; any other file field is refused. */
  files: Readonly<Record<string, FilePartSpec>>;
  /** Largest text field, bytes. Default 16 KiB. */
  maxFieldBytes?: number;
  /** Most text fields. Default 20. */
  maxFields?: number;
}

/**
 * Streams a multipart/form-data body: each file goes straight to disk, its size limit is
 * enforced while it streams (PAYLOAD_TOO_LARGE as soon as it is crossed, the rest is not
 * read), its kind is sniffed from its first bytes (UNSUPPORTED_MEDIA_TYPE before the rest
 * is written). Nothing of a file is held in memory beyond the stream's buffers. On error the
 * files written so far are removed.
 *
 * @example
 * const form = await receiveMultipart(c, { dir, files: { photo: { maxBytes, accept: ['image'], describe: 'a photo' } } });
 * try { use(form.files.photo?.path) } finally { await form.cleanup() }
 */
export async function receiveMultipart(c: Context, options: ReceiveOptions): Promise<ReceivedForm> {
  const contentType = c.req.header('content-type') ?? '';
  if (!isMultipart(c) || !c.req.raw.body) {
    throw new ApiError('UNSUPPORTED_CONTENT_TYPE', 'expected a multipart/form-data body');
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > options.maxBodyBytes) throw bodyTooLarge(options.maxBodyBytes);
  const receiver = new FormReceiver(options);
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: {
        fieldSize: options.maxFieldBytes ?? 16 * 1024,
        fields: options.maxFields ?? 20,
        files: Object.keys(options.files).length,
      },
    });
  } catch (cause) {
    throw new ApiError('INVALID_MULTIPART', 'the multipart body could not be parsed', { cause });
  }
  const source = Readable.from(limited(c.req.raw.body, options.maxBodyBytes));
  try {
    await receiver.run(source, parser);
  } catch (error) {
    // Read and drop the rest of the body (bounded by maxBodyBytes): a client still sending a
    // large part would otherwise stall on a full socket and never read the error answer.
    source.resume();
    await receiver.cleanup();
    throw error;
  }
  return receiver.form();
}

/** One request's parse: busboy events → files on disk and fields, the first error wins. */
class FormReceiver {
  readonly #options: ReceiveOptions;
  readonly #fields: Record<string, string> = {};
  readonly #files: Record<string, ReceivedFile> = {};
  readonly #paths: string[] = [];
  readonly #writes: Promise<void>[] = [];

  constructor(options: ReceiveOptions) {
    this.#options = options;
  }

  run(source: Readable, parser: busboy.Busboy): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let failed = false;
      const parts: Readable[] = [];
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        source.unpipe(parser);
        // Parts still streaming will never end now: stop them, so their writes settle.
        for (const part of parts) part.destroy();
        reject(toApiError(error));
      };
      parser.on('field', (name, value, info) => {
        if (info.valueTruncated) fail(fieldTooLarge(name, this.#options.maxFieldBytes));
        else this.#fields[name] = value;
      });
      parser.on('file', (name, stream) => {
        parts.push(stream);
        const write = this.#receiveFile(name, stream).catch((error: unknown) => {
          stream.resume();
          fail(error);
        });
        this.#writes.push(write);
      });
      parser.on('fieldsLimit', () => fail(new ApiError('VALIDATION_FAILED', 'too many fields')));
      parser.on('filesLimit', () =>
        fail(new ApiError('VALIDATION_FAILED', 'too many files in the form')),
      );
      parser.on('error', fail);
      source.on('error', fail);
      parser.on('close', () => {
        void Promise.all(this.#writes).then(() => {
          if (!failed) resolve();
        });
      });
      source.pipe(parser);
    });
  }

  form(): ReceivedForm {
    return { fields: this.#fields, files: this.#files, cleanup: () => this.cleanup() };
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.#writes);
    await Promise.all(this.#paths.splice(0).map((p) => rm(p, { force: true })));
  }

  async #receiveFile(name: string, stream: Readable): Promise<void> {
    const spec = this.#options.files[name];
    if (!spec) throw new ApiError('VALIDATION_FAILED', `${name}: unexpected file field`);
    if (this.#files[name]) throw new ApiError('VALIDATION_FAILED', `${name}: sent twice`);
    const path = join(this.#options.dir, `upload-${randomBytes(8).toString('hex')}`);
    this.#paths.push(path);
    const out = createWriteStream(path, { flags: 'wx' });
    try {
      const { sizeBytes, head } = await copyChecked(stream, out, name, spec);
      const sniffed = checkKind(head, name, spec);
      this.#files[name] = { path, sizeBytes, sniffed };
    } finally {
      out.destroy();
    }
  }
}

/** Copies a file part to disk, counting bytes; the first bytes are kept for sniffing. */
async function copyChecked(
  stream: Readable,
  out: WriteStream,
  field: string,
  spec: FilePartSpec,
): Promise<{ sizeBytes: number; head: Uint8Array }> {
  let sizeBytes = 0;
  let head = new Uint8Array(0);
  await pipeline(
    stream,
    async function* check(chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        sizeBytes += chunk.length;
        if (sizeBytes > spec.maxBytes) throw fileTooLarge(field, spec.maxBytes);
        if (head.length < SNIFF_BYTES) {
          head = Buffer.concat([head, chunk]).subarray(0, SNIFF_BYTES);
          if (head.length === SNIFF_BYTES) checkKind(head, field, spec);
        }
        yield chunk;
      }
    },
    out,
  );
  return { sizeBytes, head };
}

function checkKind(head: Uint8Array, field: string, spec: FilePartSpec): Sniffed {
  const sniffed = sniffMedia(head);
  if (!sniffed || !spec.accept.includes(sniffed.kind)) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${field}: the file's content is not ${spec.describe}${sniffed ? ` (it looks like ${sniffed.format})` : ''}`,
      { details: { field, detected: sniffed?.format ?? null } },
    );
  }
  return sniffed;
}

/** The body's chunks, PAYLOAD_TOO_LARGE once more than `maxBytes` have come. */
async function* limited(body: ReadableStream<Uint8Array>, maxBytes: number) {
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw bodyTooLarge(maxBytes);
    yield chunk;
  }
}

function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError('PAYLOAD_TOO_LARGE', `the request body is limited to ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}

function fileTooLarge(field: string, maxBytes: number): ApiError {
  return new ApiError('PAYLOAD_TOO_LARGE', `${field}: the file is limited to ${maxBytes} bytes`, {
    details: { field, maxBytes },
  });
}

function fieldTooLarge(field: string, maxBytes = 16 * 1024): ApiError {
  return new ApiError(
    'PAYLOAD_TOO_LARGE',
    `${field}: a text field is limited to ${maxBytes} bytes`,
    {
      details: { field, maxBytes },
    },
  );
}

function toApiError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  return new ApiError('INVALID_MULTIPART', 'the multipart body could not be parsed', {
    cause: error,
  });
}
