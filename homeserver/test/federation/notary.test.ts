import test from 'ava';
import path from 'node:path';
import { rotateSigningKey } from '../../src/components/federation/keys/rotation.js';
import { signJson, verifyJson } from '../../src/core/signing.js';
import { federationRequest, openServerDatabase, startFederation, type FederationNetwork } from '../helpers/federation.js';

/** hs1 is a notary; hs3 trusts it; hs2 is the server whose keys are asked for. */
let net: FederationNetwork;
test.before(async () => {
  net = await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], (name) => (name === 'hs3.test' ? { env: { HS_FEDERATION_TRUSTED_KEY_SERVERS: 'hs1.test' } } : {}));
});
test.after.always(() => net?.close());

const keyIdOf = (name: string): string => net.server(name).hs.signingKey.keyId;
const publicKeyOf = (name: string): string => net.server(name).hs.signingKey.publicKey;

test.serial('POST /_matrix/key/v2/query: the server\'s own document, signed again by the notary', async (t) => {
  const res = await federationRequest(net.server('hs1.test'), net.ca, {
    method: 'POST',
    path: '/_matrix/key/v2/query',
    body: { server_keys: { 'hs2.test': { [keyIdOf('hs2.test')]: { minimum_valid_until_ts: Date.now() } } } },
  });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.server_keys.length, 1);
  const doc = res.body.server_keys[0];
  t.is(doc.server_name, 'hs2.test');
  t.deepEqual(doc.verify_keys, { [keyIdOf('hs2.test')]: { key: publicKeyOf('hs2.test') } });
  t.true(verifyJson(doc, 'hs2.test', keyIdOf('hs2.test'), publicKeyOf('hs2.test')), 'still self-signed');
  t.true(verifyJson(doc, 'hs1.test', keyIdOf('hs1.test'), publicKeyOf('hs1.test')), 'and signed by the notary');
});

test.serial('GET /_matrix/key/v2/query/{serverName}, also for the notary itself; unknown servers give nothing', async (t) => {
  const hs1 = net.server('hs1.test');
  const one = await federationRequest(hs1, net.ca, { method: 'GET', path: '/_matrix/key/v2/query/hs2.test' });
  t.is(one.status, 200);
  t.deepEqual(one.body.server_keys.map((d: any) => d.server_name), ['hs2.test']);
  const own = await federationRequest(hs1, net.ca, { method: 'GET', path: '/_matrix/key/v2/query/hs1.test' });
  t.true(verifyJson(own.body.server_keys[0], 'hs1.test', keyIdOf('hs1.test'), publicKeyOf('hs1.test')));
  const none = await federationRequest(hs1, net.ca, { method: 'POST', path: '/_matrix/key/v2/query', body: { server_keys: { 'nowhere.invalid': {} } } });
  t.deepEqual(none.body, { server_keys: [] });
  t.deepEqual((await federationRequest(hs1, net.ca, { method: 'POST', path: '/_matrix/key/v2/query', body: { server_keys: {} } })).body, { server_keys: [] });
  const bad = await federationRequest(hs1, net.ca, { method: 'GET', path: '/_matrix/key/v2/query/not%20a%20name' });
  t.is(bad.status, 400);
  const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`s${i}.test`, {}]));
  t.is((await federationRequest(hs1, net.ca, { method: 'POST', path: '/_matrix/key/v2/query', body: { server_keys: tooMany } })).body.errcode, 'M_BAD_JSON');
});

test.serial('minimum_valid_until_ts beyond what is cached makes the notary ask the server again', async (t) => {
  const hs1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  const oldKeyId = keyIdOf('hs2.test');
  const first = (await federationRequest(hs1, net.ca, { method: 'GET', path: '/_matrix/key/v2/query/hs2.test' })).body.server_keys[0];
  // hs2 rotates its key while down; the notary's cached document does not know yet.
  await hs2.stop();
  const db = openServerDatabase(hs2);
  try {
    await rotateSigningKey(db.db, path.join(hs2.dataDir, 'signing.key'));
  } finally {
    await db.close();
  }
  await hs2.start();
  const newKeyId = keyIdOf('hs2.test');
  t.not(newKeyId, oldKeyId);

  const cached = (await federationRequest(hs1, net.ca, { method: 'GET', path: '/_matrix/key/v2/query/hs2.test' })).body.server_keys;
  t.deepEqual(cached.map((d: any) => Object.keys(d.verify_keys)), [[oldKeyId]], 'still valid: served from the cache');

  const fresh = (await federationRequest(hs1, net.ca, { method: 'GET', path: `/_matrix/key/v2/query/hs2.test?minimum_valid_until_ts=${first.valid_until_ts + 1}` })).body.server_keys;
  t.deepEqual(fresh.map((d: any) => Object.keys(d.verify_keys)), [[newKeyId]]);
  t.deepEqual(Object.keys(fresh[0].old_verify_keys), [oldKeyId]);
  t.true(verifyJson(fresh[0], 'hs1.test', keyIdOf('hs1.test'), publicKeyOf('hs1.test')));

  // The bulk form asks per key: a key the notary does not know is fetched.
  const byKey = await federationRequest(hs1, net.ca, { method: 'POST', path: '/_matrix/key/v2/query', body: { server_keys: { 'hs2.test': { [newKeyId]: {} } } } });
  t.deepEqual(byKey.body.server_keys.map((d: any) => Object.keys(d.verify_keys)), [[newKeyId]]);
});

test.serial('when the server is down, the notary answers from its cache, and hs3 gets the keys through it', async (t) => {
  const hs2 = net.server('hs2.test');
  const keyId = keyIdOf('hs2.test');
  const seed = hs2.hs.signingKey.seed;
  const event = signJson({ type: 'org.hearth.test', origin_server_ts: Date.now() }, 'hs2.test', keyId, seed);
  await hs2.stop();
  try {
    const cached = await federationRequest(net.server('hs1.test'), net.ca, { method: 'POST', path: '/_matrix/key/v2/query', body: { server_keys: { 'hs2.test': {} } } });
    t.deepEqual(cached.body.server_keys.map((d: any) => d.server_name), ['hs2.test']);

    const [check] = await net.server('hs3.test').hs.federation.verifySignatures([{ serverName: 'hs2.test', json: event, atTs: Date.now() }]);
    t.deepEqual(check, { ok: true });
    const [forged] = await net.server('hs3.test').hs.federation.verifySignatures([{ serverName: 'hs2.test', json: { ...event, type: 'forged' }, atTs: Date.now() }]);
    t.false(forged!.ok);
  } finally {
    await hs2.start();
  }
});
