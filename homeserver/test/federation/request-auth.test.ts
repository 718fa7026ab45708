import test from 'ava';
import { randomBytes } from 'node:crypto';
import { signJson } from '../../src/core/signing.js';
import { xMatrixAuthorization } from '../../src/components/federation/auth/x-matrix.js';
import { newSigningKey } from '../../src/components/federation/signing-key.js';
import { federationRequest, signedBy, startFederation, type FederationNetwork } from '../helpers/federation.js';

let net: FederationNetwork;
const received: Array<{ origin: string; content: unknown }> = [];

test.before(async () => {
  net = await startFederation(['hs1.test', 'hs2.test'], (name) => ({
    onStart:
      name === 'hs2.test'
        ? (hs) => {
            hs.federation.registerEduHandler('org.hearth.test', (origin, content) => {
              received.push({ origin, content });
            });
          }
        : undefined,
  }));
});
test.after.always(() => net?.close());

const txn = (n: string) => ({ origin: 'hs1.test', origin_server_ts: Date.now(), pdus: [], edus: [{ edu_type: 'org.hearth.test', content: { n } }] });

test.serial('a request signed by hs1 with X-Matrix is accepted by hs2, which fetched hs1 key', async (t) => {
  const hs1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  const path = `/_matrix/federation/v1/send/${randomBytes(4).toString('hex')}`;
  const body = txn('signed');
  const res = await federationRequest(hs2, net.ca, { method: 'PUT', path, body, authorization: signedBy(hs1, hs2, { method: 'PUT', path, body }) });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body, { pdus: {} });
  t.deepEqual(received.at(-1), { origin: 'hs1.test', content: { n: 'signed' } });
});

test.serial('the federation client signs every request: hs1 sends to hs2 through the API', async (t) => {
  const hs1 = net.server('hs1.test');
  const res = await hs1.hs.federation.client.requestJson('hs2.test', { method: 'PUT', path: '/_matrix/federation/v1/send/api-1', body: txn('via-client') });
  t.deepEqual(res, { pdus: {} });
  t.deepEqual(received.at(-1), { origin: 'hs1.test', content: { n: 'via-client' } });
  const version = await hs1.hs.federation.client.requestJson('hs2.test', { method: 'GET', path: '/_matrix/federation/v1/version' });
  t.is((version as any).server.name, 'Hearth');
  t.regex((version as any).server.version, /^\d+\.\d+\.\d+/);
});

test.serial('query strings are part of what is signed', async (t) => {
  const hs1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  const path = '/_matrix/federation/v1/send/q1?a=1&b=x%20y';
  const body = txn('query');
  const ok = await federationRequest(hs2, net.ca, { method: 'PUT', path, body, authorization: signedBy(hs1, hs2, { method: 'PUT', path, body }) });
  t.is(ok.status, 200);
  const signedWithout = signedBy(hs1, hs2, { method: 'PUT', path: '/_matrix/federation/v1/send/q1', body });
  const bad = await federationRequest(hs2, net.ca, { method: 'PUT', path: '/_matrix/federation/v1/send/q1?a=2', body, authorization: signedWithout });
  t.is(bad.status, 401);
});

const cases: Array<[string, (ctx: { path: string; body: any }) => string | undefined]> = [
  ['no Authorization header', () => undefined],
  ['a Bearer token instead of X-Matrix', () => 'Bearer abc'],
  ['a malformed X-Matrix header', () => 'X-Matrix origin="hs1.test",key="ed25519:x'],
  ['X-Matrix without a signature', ({ path, body }) => signedBy(net.server('hs1.test'), net.server('hs2.test'), { method: 'PUT', path, body }).replace(/,sig="[^"]*"/, '')],
  ['a destination other than the receiving server', ({ path, body }) => signedBy(net.server('hs1.test'), { name: 'hs3.test' }, { method: 'PUT', path, body })],
  ['a signature over another body', ({ path }) => signedBy(net.server('hs1.test'), net.server('hs2.test'), { method: 'PUT', path, body: txn('other') })],
  ['a signature over another method', ({ path, body }) => signedBy(net.server('hs1.test'), net.server('hs2.test'), { method: 'POST', path, body })],
  ['a tampered signature', ({ path, body }) => signedBy(net.server('hs1.test'), net.server('hs2.test'), { method: 'PUT', path, body }).replace(/sig="(.)/, (_m, c: string) => `sig="${c === 'A' ? 'B' : 'A'}`)],
  [
    'a key the origin does not publish',
    ({ path, body }) => {
      const rogue = newSigningKey();
      return xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'hs1.test', destination: 'hs2.test', content: body }, rogue.keyId, rogue.seed);
    },
  ],
  [
    'a key ID the origin publishes, signed by another key',
    ({ path, body }) => {
      const rogue = newSigningKey();
      return xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'hs1.test', destination: 'hs2.test', content: body }, net.server('hs1.test').hs.signingKey.keyId, rogue.seed);
    },
  ],
  [
    'an origin that is not a server name',
    ({ path, body }) => signedBy(net.server('hs1.test'), net.server('hs2.test'), { method: 'PUT', path, body }).replace('origin="hs1.test"', 'origin="not a name"'),
  ],
  [
    'an origin that does not exist',
    ({ path, body }) => {
      const k = newSigningKey();
      return xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'nowhere.invalid', destination: 'hs2.test', content: body }, k.keyId, k.seed);
    },
  ],
];

for (const [name, header] of cases) {
  test.serial(`401 M_UNAUTHORIZED for ${name}, and nothing is processed`, async (t) => {
    const before = received.length;
    const path = `/_matrix/federation/v1/send/${randomBytes(4).toString('hex')}`;
    const body = txn(name);
    const res = await federationRequest(net.server('hs2.test'), net.ca, { method: 'PUT', path, body, authorization: header({ path, body }) });
    t.is(res.status, 401, JSON.stringify(res.body));
    t.is(res.body.errcode, 'M_UNAUTHORIZED');
    t.is(received.length, before);
  });
}

test.serial('old servers may omit the destination; the signature still covers ours', async (t) => {
  const hs1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  const path = '/_matrix/federation/v1/send/no-destination';
  const body = txn('no-destination');
  const header = signedBy(hs1, hs2, { method: 'PUT', path, body }).replace(/,destination="[^"]*"/, '');
  const res = await federationRequest(hs2, net.ca, { method: 'PUT', path, body, authorization: header });
  t.is(res.status, 200);
});

test.serial('a captured header cannot be replayed against another path', async (t) => {
  const hs1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  const body = txn('replay');
  const header = signedBy(hs1, hs2, { method: 'PUT', path: '/_matrix/federation/v1/send/original', body });
  const res = await federationRequest(hs2, net.ca, { method: 'PUT', path: '/_matrix/federation/v1/send/replayed', body, authorization: header });
  t.is(res.status, 401);
});

test.serial('the fetched key is stored with its validity and used after a restart while its server is down', async (t) => {
  const hs1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  const rows = (await hs2.hs.database.db('federation_remote_server_keys').where({ server_name: 'hs1.test' })) as any[];
  t.is(rows.length, 1);
  t.is(rows[0].key_id, hs1.hs.signingKey.keyId);
  t.is(rows[0].public_key, hs1.hs.signingKey.publicKey);
  t.true(rows[0].valid_until_ts > Date.now() && rows[0].valid_until_ts <= Number(rows[0].fetched_at) + 7 * 24 * 3600_000);
  const event = signedEvent(hs1);
  await hs1.stop();
  await hs2.stop();
  await hs2.start();
  try {
    t.deepEqual(await hs2.hs.federation.verifySignatures([{ serverName: 'hs1.test', json: event, atTs: Date.now() }]), [{ ok: true }]);
    const tooLate = rows[0].valid_until_ts + 1;
    const [late] = await hs2.hs.federation.verifySignatures([{ serverName: 'hs1.test', json: event, atTs: tooLate }]);
    t.false(late!.ok, 'not beyond valid_until_ts (and hs1 cannot be asked)');
    t.deepEqual(await hs2.hs.federation.verifySignatures([{ serverName: 'hs1.test', json: event, atTs: tooLate, enforceKeyValidity: false }]), [{ ok: true }]);
  } finally {
    await hs1.start();
  }
});

function signedEvent(from: { hs: { signingKey: { keyId: string; seed: Buffer } }; name: string }): object {
  return signJson({ type: 'org.hearth.test', origin_server_ts: Date.now(), content: {} }, from.name, from.hs.signingKey.keyId, from.hs.signingKey.seed);
}
