import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { verifyJson } from '../../src/core/signing.js';
import { loadConfig } from '../../src/config/load.js';
import { startHomeserver } from '../../src/homeserver.js';
import { startTestServer } from '../helpers/server.js';

test('GET /_matrix/key/v2/server is self-signed with the published key and valid for a while', async (t) => {
  const s = await startTestServer(t);
  const before = Date.now();
  const res = await s.request('GET', '/_matrix/key/v2/server');
  t.is(res.status, 200);
  const doc = res.body;
  t.is(doc.server_name, 'hs.test');
  const keyIds = Object.keys(doc.verify_keys);
  t.is(keyIds.length, 1);
  const keyId = keyIds[0]!;
  t.regex(keyId, /^ed25519:a_[A-Za-z0-9]{4}$/);
  t.deepEqual(doc.old_verify_keys, {});
  t.true(doc.valid_until_ts > before + 60 * 60 * 1000);
  t.true(verifyJson(doc, 'hs.test', keyId, doc.verify_keys[keyId].key));
  // A tampered document must not verify: the check above can fail.
  t.false(verifyJson({ ...doc, server_name: 'evil.test' }, 'hs.test', keyId, doc.verify_keys[keyId].key));
  const perKey = await s.request('GET', `/_matrix/key/v2/server/${encodeURIComponent(keyId)}`);
  t.deepEqual(perKey.body.verify_keys, doc.verify_keys);
});

test('the signing key is made once, stored owner-only, and kept across restarts', async (t) => {
  const s = await startTestServer(t);
  const first = (await s.request('GET', '/_matrix/key/v2/server')).body;
  const file = path.join(s.dataDir, 'signing.key');
  t.regex(readFileSync(file, 'utf8'), /^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}\n$/);
  const { statSync } = await import('node:fs');
  t.is(statSync(file).mode & 0o777, 0o600);

  const config = loadConfig({ env: { HS_SERVER_NAME: 'hs.test', HS_PORT: '0', HS_DATA_DIR: s.dataDir, HS_LOG_LEVEL: 'silent', ...(s.database.url ? { DATABASE_URL: s.database.url } : {}) } });
  config.database.url = undefined; // a second server on its own embedded database; only the key file is shared
  const again = await startHomeserver(config);
  try {
    const res = await fetch(`${again.url}/_matrix/key/v2/server`);
    const second = (await res.json()) as typeof first;
    t.deepEqual(second.verify_keys, first.verify_keys);
  } finally {
    await again.stop();
  }
});
