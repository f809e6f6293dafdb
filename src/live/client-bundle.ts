import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The browser client, built and ready to serve. */
export interface ClientAssets {
  html: string;
  js: string;
  css: string;
  /** Short content hash (for ETags). */
  etag: string;
  buildMs: number;
}

const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));
let cached: Promise<ClientAssets> | undefined;

/**
 * Bundles `client/src/main.ts` with esbuild in memory (no file written, ~0.1 s) the first
 * time it is asked for, and keeps the result for the life of the process. `facecast serve`
 * calls it at start-up so the first page load does not wait. Why at run time rather than a
 * build step: the repository runs TypeScript directly with no `dist/` (docs/architecture.md,
 * "Install and run"), so a committed bundle could only go stale; this way the served client is
 * always the source in the checkout, and a read-only install works too.
 *
 * @example
 * const { js } = await clientAssets();
 */
export function clientAssets(): Promise<ClientAssets> {
  cached ??= buildClient().catch((error) => {
    cached = undefined; // let a later request retry
    throw error;
  });
  return cached;
}

async function buildClient(): Promise<ClientAssets> {
  const started = performance.now();
  const [result, html, css] = await Promise.all([
    build({
      entryPoints: [`${CLIENT_DIR}src/main.ts`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: ['chrome110', 'firefox115', 'safari16'],
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(`${CLIENT_DIR}index.html`, 'utf8'),
    readFile(`${CLIENT_DIR}style.css`, 'utf8'),
  ]);
  const js = result.outputFiles[0]?.text ?? '';
  const etag = createHash('sha256')
    .update(html)
    .update(js)
    .update(css)
    .digest('base64url')
    .slice(0, 16);
  return { html, js, css, etag, buildMs: performance.now() - started };
}
