/**
 * Why an outbound federation request failed. `kind` drives what callers do: the outbound queue
 * backs off on anything but a definite refusal of the transaction, the key ring tries notaries.
 */
export type FederationFailure =
  | 'discovery' // the server name did not resolve
  | 'connect' // no connection (refused, unreachable, DNS)
  | 'tls' // the certificate did not verify
  | 'timeout'
  | 'aborted'
  | 'http' // an answer with a non-2xx status
  | 'too_large' // the answer exceeded the size limit
  | 'bad_response'; // the answer was not the JSON object it must be

export class FederationRequestError extends Error {
  override name = 'FederationRequestError';

  constructor(
    readonly kind: FederationFailure,
    readonly destination: string,
    message: string,
    readonly details: { status?: number; errcode?: string; body?: unknown; cause?: unknown } = {},
  ) {
    super(`${destination}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get errcode(): string | undefined {
    return this.details.errcode;
  }
}

const TLS_CODES = /^(ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|ERR_SSL_|HOSTNAME_MISMATCH)/;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Maps what undici and node:tls throw onto a FederationFailure. */
export function classifyNetworkError(err: unknown, timedOut: boolean): FederationFailure {
  if (timedOut) return 'timeout';
  const code = String((err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code ?? '');
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (TLS_CODES.test(code)) return 'tls';
  if ((err as Error).name === 'AbortError' || code === 'UND_ERR_ABORTED') return 'aborted';
  return 'connect';
}
