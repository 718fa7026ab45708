/**
 * A failure a client or server sees, as the spec's error JSON: `{errcode, error, ...extra}` with
 * the matching HTTP status. Thrown anywhere inside a request; the error middleware renders it.
 */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const errors = {
  unrecognized: (message = 'Unrecognized request') => new MatrixError(404, 'M_UNRECOGNIZED', message),
  methodNotAllowed: () => new MatrixError(405, 'M_UNRECOGNIZED', 'Method not allowed for this endpoint'),
  notJson: (message = 'Content not JSON.') => new MatrixError(400, 'M_NOT_JSON', message),
  badJson: (message: string) => new MatrixError(400, 'M_BAD_JSON', message),
  tooLarge: (message = 'Request body too large') => new MatrixError(413, 'M_TOO_LARGE', message),
  missingParam: (message: string) => new MatrixError(400, 'M_MISSING_PARAM', message),
  invalidParam: (message: string) => new MatrixError(400, 'M_INVALID_PARAM', message),
  notFound: (message = 'Not found') => new MatrixError(404, 'M_NOT_FOUND', message),
  forbidden: (message: string) => new MatrixError(403, 'M_FORBIDDEN', message),
  badState: (message: string) => new MatrixError(400, 'M_UNKNOWN', message),
  unknown: (message = 'Internal server error') => new MatrixError(500, 'M_UNKNOWN', message),
  limitExceeded: (retryAfterMs: number) =>
    new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs }, {
      'Retry-After': String(Math.ceil(retryAfterMs / 1000)),
    }),
};
