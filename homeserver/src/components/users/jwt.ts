import { importSPKI, jwtVerify, errors as joseErrors } from 'jose';
import { MatrixError } from '../../http/errors.js';
import { isValidLocalpart, parseUserId } from '../../core/ids.js';

export interface JwtSettings {
  secret: string;
  algorithm: string;
  issuer: string | undefined;
  audiences: string[] | undefined;
  subjectClaim: string;
}

const forbidden = (why: string): MatrixError => new MatrixError(403, 'M_FORBIDDEN', `JWT validation failed: ${why}`);

/** The `org.matrix.login.jwt` login type, configured as Synapse's jwt_config. */
export class JwtLogin {
  private key: Uint8Array | Awaited<ReturnType<typeof importSPKI>> | undefined;

  constructor(
    private readonly s: JwtSettings,
    private readonly serverName: string,
  ) {}

  /** Loads the key now, so a bad PEM stops start-up instead of failing the first login. */
  async start(): Promise<void> {
    if (this.s.algorithm.startsWith('HS')) {
      this.key = new TextEncoder().encode(this.s.secret);
      return;
    }
    try {
      this.key = await importSPKI(this.s.secret, this.s.algorithm);
    } catch (err) {
      throw new Error(`jwt.secret: not a PEM public key for ${this.s.algorithm}: ${(err as Error).message}`);
    }
  }

  /** The local user ID the token names, or 403 M_FORBIDDEN. */
  async verify(token: string): Promise<string> {
    if (!this.key) await this.start();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key!, {
        algorithms: [this.s.algorithm],
        ...(this.s.issuer !== undefined ? { issuer: this.s.issuer } : {}),
        ...(this.s.audiences !== undefined ? { audience: this.s.audiences } : {}),
        // Clock skew between the issuer and us, as Synapse allows.
        clockTolerance: 120,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw forbidden('Signature verification failed');
      if (err instanceof joseErrors.JWTExpired) throw forbidden('token has expired');
      if (err instanceof joseErrors.JOSEError) throw forbidden(err.message);
      throw forbidden('malformed token');
    }
    // A token meant for some audience is not meant for us unless we were told our audience.
    if (payload.aud !== undefined && this.s.audiences === undefined) throw forbidden('unexpected "aud" claim');
    const subject = payload[this.s.subjectClaim];
    if (typeof subject !== 'string' || subject === '') throw new MatrixError(403, 'M_FORBIDDEN', 'Invalid JWT: no subject');
    let localpart = subject.toLowerCase();
    if (subject.startsWith('@')) {
      const parsed = parseUserId(subject);
      if (!parsed || parsed.serverName !== this.serverName) throw new MatrixError(403, 'M_FORBIDDEN', 'Invalid JWT: subject is not a user of this server');
      localpart = parsed.localpart.toLowerCase();
    }
    if (!isValidLocalpart(localpart)) throw new MatrixError(403, 'M_FORBIDDEN', 'Invalid JWT: subject is not a valid user ID localpart');
    return `@${localpart}:${this.serverName}`;
  }
}
