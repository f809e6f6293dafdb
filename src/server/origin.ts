import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { ApiError } from './errors.ts';

/** Who may talk to the server from a browser, and under which host names. */
export interface OriginPolicyOptions {
  /**
   * Origins (`https://app.example.com`) allowed to send state-changing requests besides the
   * server's own; they also get CORS headers. Default none: same-origin only.
   */
  allowedOrigins?: readonly string[];
  /**
   * Host names the `Host` header may carry (DNS-rebinding guard); undefined checks nothing.
   * See {@link boundHostNames}.
   */
  allowedHosts?: readonly string[];
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/**
 * The host names a server bound to `host` answers to: loopback binds answer to the loopback
 * names only (a rebinding page's `Host: evil.example` is refused), a specific address to
 * itself, plus `extra` (names in DNS, a proxy's name). A wildcard bind (`0.0.0.0`, `::`)
 * with no extra names checks nothing (undefined): the names it is reached by are not known.
 */
export function boundHostNames(host: string, extra: readonly string[] = []): string[] | undefined {
  const bare = stripBrackets(host.toLowerCase());
  const wildcard = bare === '0.0.0.0' || bare === '::';
  if (wildcard && extra.length === 0) return undefined;
  const own =
    LOOPBACK.includes(bare) || bare.startsWith('127.') ? LOOPBACK : wildcard ? [] : [bare];
  return [...new Set([...own, ...extra.map((h) => stripBrackets(h.toLowerCase()))])];
}

/**
 * The server's origin policy, as one middleware:
 *
 * - the `Host` header must name one of `allowedHosts` (HOST_FORBIDDEN, 403), so a page that
 *   rebinds its own domain to 127.0.0.1 cannot reach the API;
 * - a state-changing request (POST, PUT, PATCH, DELETE) that carries an `Origin` must come
 *   from the server's own origin or an allowed one (ORIGIN_FORBIDDEN, 403): with no API
 *   keys (the default), a web page the user visits cannot post photos, start jobs or fill
 *   the session cap. Requests without `Origin` (curl, SDKs) are not browsers' and pass;
 * - allowed origins get CORS headers (preflight included).
 */
export function originPolicy(options: OriginPolicyOptions = {}): MiddlewareHandler {
  const allowed = new Set((options.allowedOrigins ?? []).map(normaliseOrigin));
  const hosts = options.allowedHosts && new Set(options.allowedHosts);
  const corsHeaders = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowHeaders: ['Content-Type', 'Authorization', 'X-API-Key'],
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['Location', 'Retry-After'],
    maxAge: 600,
  });
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (hosts && !hosts.has(stripBrackets(url.hostname.toLowerCase()))) {
      throw new ApiError('HOST_FORBIDDEN', `this server does not answer to "${url.hostname}"`);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && STATE_CHANGING.has(c.req.method)) {
      if (!sameHost(origin, url.host) && !allowed.has(origin)) {
        throw new ApiError(
          'ORIGIN_FORBIDDEN',
          `requests from ${origin} are not allowed (FACECAST_ALLOWED_ORIGINS lists other origins)`,
          { details: { origin } },
        );
      }
    }
    return allowed.size > 0 ? corsHeaders(c, next) : next();
  };
}

/** `https://Example.com:443/` → `https://example.com`; throws on anything that is not an origin. */
export function normaliseOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.origin === 'null' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new TypeError(`not an origin: ${origin}`);
  }
  return url.origin;
}

/** The origin names the same host and port (any scheme: a TLS proxy may stand in front). */
function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false; // `null` (sandboxed frames, file: pages) or garbage
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
