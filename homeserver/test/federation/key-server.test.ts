import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { verifyJson } from '../../src/core/signing.js';
import { createLogger } from '../../src/log/logger.js';
import { rotateSigningKey } from '../../src/components/federation/keys/rotation.js';
import { captureLog } from '../helpers/app.js';
import { federationRequest, openServerDatabase, startFederation, type FederationNetwork } from '../helpers/federation.js';
import { startTestServer } from '../helpers/server.js';

let net: FederationNetwork;
test.before(async () => {
  net = await startFederation(['keys.test']);
});
test.after.always(() => net?.close());

const getKeys = async () => (await federationRequest(net.server('keys.test'), net.ca, { method: 'GET', path: '/_matrix/key/v2/server' })).body;

test.serial('GET /_matrix/key/v2/server on the federation listener is self-signed with the published key', async (t) => {
  const before = Date.now();
  const doc = await getKeys();
  t.is(doc.server_name, 'keys.test');
  const keyIds = Object.keys(doc.verify_keys);
  t.deepEqual(keyIds, [net.server('keys.test').hs.signingKey.keyId]);
  const keyId = keyIds[0]!;
  t.regex(keyId, /^ed25519:a_[A-Za-z0-9]{4}$/);
  t.deepEqual(doc.old_verify_keys, {});
  t.true(doc.valid_until_ts > before + 60 * 60 * 1000);
  t.true(verifyJson(doc, 'keys.test', keyId, doc.verify_keys[keyId].key));
  // A tampered document must not verify: the check above can fail.
  t.false(verifyJson({ ...doc, server_name: 'evil.test' }, 'keys.test', keyId, doc.verify_keys[keyId].key));
  const perKey = await federationRequest(net.server('keys.test'), net.ca, { method: 'GET', path: `/_matrix/key/v2/server/${encodeURIComponent(keyId)}` });
  t.deepEqual(perKey.body.verify_keys, doc.verify_keys);
});

test.serial('with on_client_listener off, federation endpoints live on the federation listener only', async (t) => {
  const client = net.server('keys.test').hs.url;
  t.is((await fetch(`${client}/_matrix/key/v2/server`)).status, 404);
  t.is((await fetch(`${client}/_matrix/federation/v1/version`)).status, 404);
  const wk = await fetch(`${client}/.well-known/matrix/server`);
  t.is(wk.status, 404, 'no delegation configured');
  t.is(((await wk.json()) as any).errcode, 'M_NOT_FOUND');
});

test.serial('the signing key is made once, stored owner-only, and kept across restarts', async (t) => {
  const s = net.server('keys.test');
  const first = await getKeys();
  const file = path.join(s.dataDir, 'signing.key');
  t.regex(readFileSync(file, 'utf8'), /^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}\n$/);
  t.is(statSync(file).mode & 0o777, 0o600);
  await s.stop();
  await s.start();
  t.deepEqual((await getKeys()).verify_keys, first.verify_keys);
});

test.serial('after a rotation the old key stays published in old_verify_keys with its expiry', async (t) => {
  const s = net.server('keys.test');
  const old = s.hs.signingKey;
  await s.stop();
  const db = openServerDatabase(s);
  const rotatedAt = Date.now();
  try {
    await rotateSigningKey(db.db, path.join(s.dataDir, 'signing.key'), rotatedAt);
  } finally {
    await db.close();
  }
  await s.start();
  const current = s.hs.signingKey;
  t.not(current.keyId, old.keyId);
  t.is(statSync(path.join(s.dataDir, 'signing.key')).mode & 0o777, 0o600);
  const doc = await getKeys();
  t.deepEqual(doc.verify_keys, { [current.keyId]: { key: current.publicKey } });
  t.deepEqual(doc.old_verify_keys, { [old.keyId]: { key: old.publicKey, expired_ts: rotatedAt } });
  t.true(verifyJson(doc, 'keys.test', current.keyId, current.publicKey));
  t.false(verifyJson(doc, 'keys.test', old.keyId, old.publicKey), 'only the current key signs');
});

test('/.well-known/matrix/server answers federation.public_server on the client listener', async (t) => {
  const s = await startTestServer(t, { HS_FEDERATION_PUBLIC_SERVER: 'matrix.example.org:443' });
  const res = await s.request('GET', '/.well-known/matrix/server');
  t.is(res.status, 200);
  t.deepEqual(res.body, { 'm.server': 'matrix.example.org:443' });
});

test('without a certificate the federation listener is off, and the log says why', async (t) => {
  const log = captureLog();
  const s = await startTestServer(t, {}, { log: createLogger('info', log.stream) });
  t.is(s.hs.federationUrl, undefined);
  t.true(log.lines().some((l) => /federation listener off: no TLS certificate/.test(String(l['msg']))));
});

test('the key document is also served on the client listener for TLS-terminating proxies, and can be turned off', async (t) => {
  const on = await startTestServer(t);
  const res = await on.request('GET', '/_matrix/key/v2/server');
  t.is(res.status, 200);
  t.is(res.body.server_name, 'hs.test');
  const keyId = Object.keys(res.body.verify_keys)[0]!;
  t.true(verifyJson(res.body, 'hs.test', keyId, res.body.verify_keys[keyId].key));
  const off = await startTestServer(t, { HS_FEDERATION_ON_CLIENT_LISTENER: '0' });
  t.is((await off.request('GET', '/_matrix/key/v2/server')).status, 404);
});
