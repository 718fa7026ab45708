import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A certificate authority made for one bench run, and the certificates it signed. */
export interface BenchCa {
  /** PEM file of the CA certificate (what `HS_FEDERATION_EXTRA_CA_PATH` points at). */
  certPath: string;
  pem: string;
  /** A server certificate for a DNS name: PEM file paths. */
  issue(dnsName: string): Promise<{ certPath: string; keyPath: string }>;
  /** Removes the folder with the keys. */
  remove(): void;
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A throwaway CA made with the openssl command line tool, valid for a day. */
export async function makeBenchCa(): Promise<BenchCa> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hearth-bench-ca-'));
  const openssl = (args: string[]): Promise<unknown> => exec('openssl', args, { cwd: dir });
  await openssl(['req', '-x509', ...P256, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Hearth bench CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 1;
  return {
    certPath: path.join(dir, 'ca.pem'),
    pem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    async issue(dnsName) {
      const base = dnsName.replace(/[^A-Za-z0-9.-]/g, '_');
      writeFileSync(path.join(dir, `${base}.ext`), `subjectAltName=DNS:${dnsName}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
      await openssl(['req', ...P256, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${dnsName}`]);
      await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', '1',
        '-out', `${base}.pem`, '-extfile', `${base}.ext`]);
      return { certPath: path.join(dir, `${base}.pem`), keyPath: path.join(dir, `${base}.key`) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
