import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate authority made for one run, and the server certificates it issued. */
export interface ThrowawayCa {
  /** The CA certificate (PEM file): the servers' `extra_ca_path`. */
  readonly certPath: string;
  readonly pem: string;
  /** A certificate for `serverName` (DNS subjectAltName), signed by this CA. */
  issue(serverName: string): Promise<{ certPath: string; keyPath: string }>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('federation-tests make their certificates with the openssl command line tool; install openssl');
    }
    throw err;
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA in `dir` (which the caller owns and removes). Certificates live two days. */
export async function makeCa(dir: string): Promise<ThrowawayCa> {
  await openssl(
    ['req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Hearth federation-tests CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  const certPath = path.join(dir, 'ca.pem');
  return {
    certPath,
    pem: readFileSync(certPath, 'utf8'),
    async issue(serverName) {
      const base = serverName.replace(/[^A-Za-z0-9.-]/g, '_');
      // Servers check the certificate against the server name, so it must be in subjectAltName.
      writeFileSync(path.join(dir, `${base}.ext`), `subjectAltName=DNS:${serverName}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
      await openssl(['req', ...EC_KEY, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${serverName}`], dir);
      await openssl(
        ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
          '-days', '2', '-out', `${base}.pem`, '-extfile', `${base}.ext`],
        dir,
      );
      return { certPath: path.join(dir, `${base}.pem`), keyPath: path.join(dir, `${base}.key`) };
    },
  };
}
