import test from 'ava';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { FederationRequestError } from '../../src/components/federation/api.js';
import { startFederation, type FederationNetwork } from '../helpers/federation.js';
import { listenerTls, trustedCas } from '../../src/components/federation/transport/tls.js';

/** hs1 and hs2 have certificates from the CA everyone trusts; rogue.test's comes from another CA. */
let net: FederationNetwork;
test.before(async () => {
  net = await startFederation(['hs1.test', 'hs2.test', 'rogue.test'], (name) => (name === 'rogue.test' ? { caLabel: 'rogue' } : {}));
  // impostor.test leads to hs2's listener, whose certificate names hs2.test only.
  net.overrides.set('impostor.test', net.overrides.get('hs2.test')!);
});
test.after.always(() => net?.close());

test('requests to a server whose certificate the configured CAs vouch for go through', async (t) => {
  const res = await net.server('hs1.test').hs.federation.client.requestJson('hs2.test', { method: 'GET', path: '/_matrix/federation/v1/version' });
  t.is((res as any).server.name, 'Hearth');
});

test('a certificate not signed by a trusted CA is refused, though the server is up', async (t) => {
  const err = await t.throwsAsync(net.server('hs1.test').hs.federation.client.requestJson('rogue.test', { method: 'GET', path: '/_matrix/federation/v1/version' }), {
    instanceOf: FederationRequestError,
  });
  t.is(err.kind, 'tls');
  // Proof that the refusal is the certificate check: without verification the handshake works.
  // This is the one place `rejectUnauthorized: false` may appear; the server code has no such switch.
  const target = net.overrides.get('rogue.test')!;
  const socket = tls.connect({ host: target.host, port: target.port, servername: 'rogue.test', rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  t.false(socket.authorized);
  t.regex(String(socket.authorizationError), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
  socket.destroy();
});

test('a trusted certificate for another name is refused', async (t) => {
  const err = await t.throwsAsync(net.server('hs1.test').hs.federation.client.requestJson('impostor.test', { method: 'GET', path: '/_matrix/federation/v1/version' }), {
    instanceOf: FederationRequestError,
  });
  t.is(err.kind, 'tls');
  t.regex(String((err.cause as Error).message), /altname|does not match|Hostname/i);
});

test('trust is per direction: rogue.test trusts the common CA and reaches hs2', async (t) => {
  const res = await net.server('rogue.test').hs.federation.client.requestJson('hs2.test', { method: 'GET', path: '/_matrix/federation/v1/version' });
  t.is((res as any).server.name, 'Hearth');
});

test('the federation listener speaks only TLS', async (t) => {
  const url = new URL(net.server('hs2.test').federationUrl);
  const err = await t.throwsAsync(fetch(`http://${url.host}/_matrix/federation/v1/version`));
  t.truthy(err);
});

test('an unreadable certificate or CA file is an error naming the setting (start-up stops)', (t) => {
  t.throws(() => listenerTls({ certPath: '/nonexistent/cert.pem', keyPath: '/nonexistent/key.pem' }), { message: /federation\.tls_cert_path: cannot read/ });
  t.throws(() => trustedCas('/nonexistent/ca.pem'), { message: /federation\.extra_ca_path: cannot read/ });
  t.throws(() => trustedCas(fileURLToPath(new URL('../../package.json', import.meta.url))), { message: /no PEM certificate/ });
  t.is(trustedCas(undefined), undefined, 'without an extra file, the system CAs as they are');
  t.true(trustedCas(net.ca.certPath)!.length > 1, 'with one, the system CAs and the extra ones');
});
