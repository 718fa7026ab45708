import { readFileSync } from 'node:fs';
import { rootCertificates, type SecureContextOptions } from 'node:tls';

/**
 * The CAs outbound connections trust: the system's, plus the operator's extra file for test
 * networks. There is deliberately no way to switch verification off: a federation peer is only
 * who its certificate says, and every signature check downstream depends on talking to the right
 * server.
 */
export function trustedCas(extraCaPath: string | undefined): string[] | undefined {
  if (extraCaPath === undefined) return undefined;
  let extra: string;
  try {
    extra = readFileSync(extraCaPath, 'utf8');
  } catch (err) {
    throw new Error(`federation.extra_ca_path: cannot read ${extraCaPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!extra.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`federation.extra_ca_path: ${extraCaPath} holds no PEM certificate`);
  // Passing `ca` replaces Node's default list, so the system's roots are listed again.
  return [...rootCertificates, extra];
}

/** Certificate and key of the federation listener, read at start so a bad path stops start-up. */
export function listenerTls(paths: { certPath: string; keyPath: string }): SecureContextOptions {
  const read = (setting: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return {
    cert: read('federation.tls_cert_path', paths.certPath),
    key: read('federation.tls_key_path', paths.keyPath),
    minVersion: 'TLSv1.2',
  };
}
