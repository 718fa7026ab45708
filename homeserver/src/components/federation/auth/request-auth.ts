import { parseServerName } from '../../../core/ids.js';
import { MatrixError } from '../../../http/errors.js';
import type { KeyRing } from '../keys/key-ring.js';
import { parseXMatrix, verifyXMatrix } from './x-matrix.js';

export interface InboundRequest {
  method: string;
  /** The request target as received: path and query, undecoded. */
  uri: string;
  authorization: string | undefined;
  /** The JSON-parsed body; undefined for requests without one. */
  content?: unknown;
}

const unauthorized = (message: string): MatrixError => new MatrixError(401, 'M_UNAUTHORIZED', message);

/**
 * Checks the X-Matrix signature of an inbound request and answers the origin server's name. Every
 * failure is 401 M_UNAUTHORIZED: no header or a malformed one, a destination other than us, a key
 * we cannot find or that is not valid now, a signature that does not verify.
 */
export class RequestAuthenticator {
  constructor(
    private readonly deps: {
      serverName: string;
      keyRing: KeyRing;
      /** Called for each authenticated request: the origin is evidently up (the outbound queue retries it). */
      onAuthenticated?: (origin: string) => void;
      now?: () => number;
    },
  ) {}

  async authenticate(request: InboundRequest): Promise<string> {
    const params = parseXMatrix(request.authorization);
    if (!params) throw unauthorized('Missing or malformed X-Matrix Authorization header');
    if (parseServerName(params.origin) === null) throw unauthorized('The origin is not a server name');
    // Servers before spec v1.3 may omit the destination; they still signed it as ours.
    if (params.destination !== undefined && params.destination !== this.deps.serverName) {
      throw unauthorized(`The request is for ${params.destination}, not this server`);
    }
    const now = (this.deps.now ?? Date.now)();
    const publicKey = await this.deps.keyRing.verifyKey(params.origin, params.key, now);
    if (publicKey === undefined) throw unauthorized(`Unknown or expired key ${params.key} of ${params.origin}`);
    const signed = { method: request.method, uri: request.uri, origin: params.origin, destination: this.deps.serverName, content: request.content };
    if (!verifyXMatrix(signed, params.key, params.sig, publicKey)) throw unauthorized('Invalid X-Matrix signature');
    this.deps.onAuthenticated?.(params.origin);
    return params.origin;
  }
}
