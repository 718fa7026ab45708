import test from 'ava';
import { verifyJson } from '../../homeserver/src/core/signing.js';
import { readSigningKey } from '../harness/as-server.js';
import { useNetwork } from '../harness/ava.js';
import { loginUser, registerUser } from '../harness/client.js';
import type { HearthServer } from '../harness/server.js';

/**
 * Three Hearth processes come up and trust each other: each serves its key document on the
 * federation listener, fetches the others' keys through TLS and the resolve override, and keeps
 * its key over a restart.
 */

const network = useNetwork(test);

async function keyDocument(server: HearthServer): Promise<any> {
  const res = await server.federation('/_matrix/key/v2/server');
  if (res.status !== 200) throw new Error(`${server.name}: key document answered ${res.status}`);
  return res.body;
}

/** The only verify key of a key document, as [keyId, public key]. */
function onlyKey(doc: any): [string, string] {
  const entries = Object.entries<{ key: string }>(doc.verify_keys ?? {});
  if (entries.length !== 1) throw new Error(`expected one verify key, got ${JSON.stringify(doc.verify_keys)}`);
  return [entries[0]![0], entries[0]![1].key];
}

test.serial('each server serves its own key document, self-signed with the key in its data folder', async (t) => {
  for (const server of network().servers) {
    const doc = await keyDocument(server);
    const file = readSigningKey(server);
    t.is(doc.server_name, server.name);
    t.deepEqual(onlyKey(doc), [file.keyId, file.publicKey], `${server.name} publishes the key of its key file`);
    t.true(doc.valid_until_ts > Date.now(), `${server.name} key document is valid now`);
    t.true(verifyJson(doc, server.name, file.keyId, file.publicKey), `${server.name} signed its key document`);
  }
});

test.serial('each server answers for the others as notary (TLS and name resolution between processes)', async (t) => {
  const { servers } = network();
  for (const notary of servers) {
    const notaryKey = readSigningKey(notary);
    for (const other of servers.filter((s) => s !== notary)) {
      const res = await notary.federation('/_matrix/key/v2/query', { method: 'POST', body: { server_keys: { [other.name]: {} } } });
      t.is(res.status, 200, `${notary.name} answers a key query for ${other.name}`);
      const docs = (res.body.server_keys ?? []).filter((d: any) => d.server_name === other.name);
      t.is(docs.length, 1, `${notary.name} returns ${other.name}'s key document: ${JSON.stringify(res.body)}`);
      const doc = docs[0];
      const otherKey = readSigningKey(other);
      t.deepEqual(onlyKey(doc), [otherKey.keyId, otherKey.publicKey]);
      t.true(verifyJson(doc, other.name, otherKey.keyId, otherKey.publicKey), `${other.name}'s own signature is kept`);
      t.true(verifyJson(doc, notary.name, notaryKey.keyId, notaryKey.publicKey), `${notary.name} signs as notary`);
    }
  }
});

test.serial('the client API of every server registers and logs in users', async (t) => {
  for (const server of network().servers) {
    const user = await registerUser(server, network().sharedSecret, 'smoke');
    t.is(user.userId, `@smoke:${server.name}`);
    const whoami = await user.call('GET', '/_matrix/client/v3/account/whoami');
    t.is(whoami.user_id, user.userId);
  }
});

test.serial('a server stopped and started again on the same data keeps its signing key and its ports', async (t) => {
  t.timeout(120_000);
  const net = network();
  const hs2 = net.server('hs2.test');
  const before = onlyKey(await keyDocument(hs2));

  await hs2.stop();
  t.false(hs2.running);
  await t.throwsAsync(hs2.federation('/_matrix/key/v2/server', { timeoutMs: 2000 }), undefined, 'nothing answers while hs2 is down');

  await hs2.start();
  const after = await keyDocument(hs2);
  t.deepEqual(onlyKey(after), before, 'the same key after the restart');
  t.deepEqual([readSigningKey(hs2).keyId, readSigningKey(hs2).publicKey], before);

  // The others reach it where they expect it: asking for the validity of the document hs2 made
  // after its restart, newer than anything cached, makes hs3 fetch from hs2 again.
  const res = await net.server('hs3.test').federation('/_matrix/key/v2/query', {
    method: 'POST',
    body: { server_keys: { 'hs2.test': { [before[0]]: { minimum_valid_until_ts: after.valid_until_ts } } } },
  });
  t.is(res.status, 200);
  const doc = res.body.server_keys.find((d: any) => d.server_name === 'hs2.test');
  t.truthy(doc, `hs3 fetched hs2's keys after the restart: ${JSON.stringify(res.body)}`);
  t.deepEqual(onlyKey(doc), before);

  t.is(doc.valid_until_ts, after.valid_until_ts, 'the document hs2 serves now, not a cached one');

  // The account registered before the restart is still there.
  const user = await loginUser(hs2, '@smoke:hs2.test');
  t.is(user.userId, '@smoke:hs2.test');
});
