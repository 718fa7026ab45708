import test from 'ava';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startFederation, testCa, type FederationNetwork } from '../helpers/federation.js';

/** The issuer's common name of the certificate the listener presents now. */
function issuerOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Only the certificate is looked at here, not trusted: no request goes over this connection.
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'hs1.test', rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().issuer.CN;
      socket.end();
      resolve(String(cn));
    });
    socket.once('error', reject);
  });
}

let net: FederationNetwork;
const dir = mkdtempSync(path.join(tmpdir(), 'hearth-tls-reload-'));
const certPath = path.join(dir, 'cert.pem');
const keyPath = path.join(dir, 'key.pem');

test.before(async () => {
  const first = await (await testCa()).issue('hs1.test');
  copyFileSync(first.certPath, certPath);
  copyFileSync(first.keyPath, keyPath);
  net = await startFederation(['hs1.test'], { tweak: (c) => (c.federation.tls = { certPath, keyPath }) });
});
test.after.always(async () => {
  await net?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a renewed certificate is served after reloadTls, without a restart; an unreadable one changes nothing', async (t) => {
  const hs = net.server('hs1.test').hs;
  const port = Number(new URL(hs.federationUrl!).port);
  t.is(await issuerOf(port), 'Hearth test CA main');

  const renewed = await (await testCa('renewal')).issue('hs1.test');
  copyFileSync(renewed.certPath, certPath);
  copyFileSync(renewed.keyPath, keyPath);
  t.is(await issuerOf(port), 'Hearth test CA main', 'files alone change nothing');
  hs.reloadTls();
  t.is(await issuerOf(port), 'Hearth test CA renewal');

  writeFileSync(certPath, 'not a certificate');
  t.throws(() => hs.reloadTls());
  t.is(await issuerOf(port), 'Hearth test CA renewal', 'a bad file leaves the served certificate alone');
});
