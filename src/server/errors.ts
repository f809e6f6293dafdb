import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for problems with an HTTP request itself (not with the media in it). */
export type ApiErrorCode =
  /** No or a wrong API key, while the server requires one. */
  | 'UNAUTHORIZED'
  /** The request body is not valid JSON. */
  | 'INVALID_JSON'
  /** The multipart body could not be parsed. */
  | 'INVALID_MULTIPART'
  /** Body, parameters or query do not match the schema (`details.issues` lists them). */
  | 'VALIDATION_FAILED'
  /** The request's Content-Type is not one this route accepts. */
  | 'UNSUPPORTED_CONTENT_TYPE'
  /** An uploaded file's bytes are not a format this route accepts (whatever its name says). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The request body exceeds the route's size limit. */
  | 'PAYLOAD_TOO_LARGE'
  /** Every upload slot is taken (HTTP 503 with Retry-After). */
  | 'UPLOADS_BUSY'
  /** A state-changing request from an origin the server does not allow (HTTP 403). */
  | 'ORIGIN_FORBIDDEN'
  /** The Host header names none of the server's host names (DNS rebinding guard; HTTP 403). */
  | 'HOST_FORBIDDEN'
  /** A Range header asks for bytes the file does not have. */
  | 'RANGE_NOT_SATISFIABLE'
  /** No route for that method and path. */
  | 'ROUTE_NOT_FOUND';

const kinds = {
  UNAUTHORIZED: 'input',
  INVALID_JSON: 'input',
  INVALID_MULTIPART: 'input',
  VALIDATION_FAILED: 'input',
  UNSUPPORTED_CONTENT_TYPE: 'input',
  UNSUPPORTED_MEDIA_TYPE: 'input',
  PAYLOAD_TOO_LARGE: 'limit',
  UPLOADS_BUSY: 'limit',
  ORIGIN_FORBIDDEN: 'input',
  HOST_FORBIDDEN: 'input',
  RANGE_NOT_SATISFIABLE: 'input',
  ROUTE_NOT_FOUND: 'not-found',
} as const satisfies Record<ApiErrorCode, FacecastError['kind']>;

export class ApiError extends FacecastError {
  override readonly name = 'ApiError';
  declare readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, kinds[code], message, options);
  }
}

/** The server's configuration (flags, `FACECAST_*` variables) is invalid. */
export class ConfigError extends FacecastError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: FacecastErrorOptions) {
    super('CONFIG_INVALID', 'input', message, options);
  }
}
