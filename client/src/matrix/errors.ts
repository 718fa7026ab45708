/** A failure the homeserver reported as Matrix error JSON (or an HTTP status without it). */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** The whole error body: UIA responses carry their flows and session here. */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
  }

  /** The server's requested wait before retrying (429 M_LIMIT_EXCEEDED), if it gave one. */
  get retryAfterMs(): number | undefined {
    const v = this.body.retry_after_ms;
    return typeof v === 'number' && v >= 0 ? v : undefined;
  }

  /** The access token is gone: signed out elsewhere, deleted device, deactivated account. */
  get isUnknownToken(): boolean {
    return this.errcode === 'M_UNKNOWN_TOKEN' || this.errcode === 'M_MISSING_TOKEN';
  }
}

/** The server could not be reached at all (offline, DNS, CORS, connection reset). */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/** A human sentence for any error, for banners and form messages. */
export function describeError(err: unknown): string {
  if (err instanceof MatrixError) return err.message || err.errcode;
  if (err instanceof ConnectionError) return 'Cannot reach the server. Check the address and your connection.';
  if (err instanceof Error) return err.message;
  return String(err);
}
