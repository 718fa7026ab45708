import test from 'ava';
import { canonicalJsonBytes } from '../../src/core/canonical-json.js';
import { signJson } from '../../src/core/signing.js';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import type { Knex } from '../../src/db/database.js';
import { createLogger } from '../../src/log/logger.js';
import { KeyRing, type KeySource, type SignedItem } from '../../src/components/federation/keys/key-ring.js';
import { RemoteKeySource } from '../../src/components/federation/keys/key-fetcher.js';
import { Notary } from '../../src/components/federation/keys/notary.js';
import { parseServerKeys, type ServerKeys } from '../../src/components/federation/keys/server-keys.js';
import { newSigningKey, type ServerSigningKey } from '../../src/components/federation/signing-key.js';
import { RemoteKeyStore } from '../../src/components/federation/storage/remote-keys.js';
import type { FederationClient } from '../../src/components/federation/transport/client.js';
import { createTestDatabase } from '../helpers/database.js';

const DAY = 24 * 3600_000;
const T0 = Date.parse('2025-06-01T00:00:00Z');
const log = createLogger('silent');

let db: Knex;
let cleanup: (() => Promise<void>) | undefined;
test.before(async () => {
  const tdb = await createTestDatabase();
  const opened = tdb.open();
  db = opened.db;
  cleanup = async () => {
    await opened.close();
    await tdb.drop();
  };
  await migrate(db, allMigrations());
});
test.after.always(() => cleanup?.());

let serial = 0;
/** A fresh server name per test: tests share the database. */
const uniqueServer = (): string => `remote${++serial}.test`;

function keyDoc(server: string, keys: { current: ServerSigningKey[]; old?: Array<{ key: ServerSigningKey; expiredTs: number }> }, validUntilTs: number): ServerKeys {
  const doc = {
    server_name: server,
    valid_until_ts: validUntilTs,
    verify_keys: Object.fromEntries(keys.current.map((k) => [k.keyId, { key: k.publicKey }])),
    old_verify_keys: Object.fromEntries((keys.old ?? []).map((o) => [o.key.keyId, { key: o.key.publicKey, expired_ts: o.expiredTs }])),
  };
  let signed: object = doc;
  for (const k of keys.current) signed = signJson(signed, server, k.keyId, k.seed);
  const parsed = parseServerKeys(signed, server);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

/** A key source answering from a script, counting what it was asked. */
function scriptedSource(answers: { direct?: (server: string) => ServerKeys; notaries?: (wanted: Map<string, { keyIds: string[]; minimumValidUntilTs: number }>) => ServerKeys[] }) {
  const asked = { direct: [] as string[], notaries: [] as Array<Map<string, { keyIds: string[]; minimumValidUntilTs: number }>> };
  const source: KeySource = {
    async direct(server) {
      asked.direct.push(server);
      if (!answers.direct) throw new Error('unreachable');
      return answers.direct(server);
    },
    async viaNotaries(wanted) {
      asked.notaries.push(new Map(wanted));
      return answers.notaries ? answers.notaries(new Map(wanted)) : [];
    },
  };
  return { source, asked };
}

function ring(source: KeySource, clock: { now: number }, refetchIntervalMs = 10_000): KeyRing {
  return new KeyRing({ serverName: 'local.test', ownKeys: () => new Map(), store: new RemoteKeyStore(db), source, log, now: () => clock.now, refetchIntervalMs });
}

const signed = (server: string, key: ServerSigningKey, content: object = { hello: 'world' }): object => signJson(content, server, key.keyId, key.seed);

test('keys are fetched once, then served from memory, and from the database after a restart', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const clock = { now: T0 };
  const { source, asked } = scriptedSource({ direct: () => keyDoc(server, { current: [key] }, T0 + DAY) });
  const r = ring(source, clock);
  t.deepEqual(await r.verifySignatures([{ serverName: server, json: signed(server, key), atTs: T0 }]), [{ ok: true }]);
  t.deepEqual(await r.verifySignatures([{ serverName: server, json: signed(server, key, { n: 2 }), atTs: T0 + 1000 }]), [{ ok: true }]);
  t.deepEqual(asked.direct, [server]);

  const afterRestart = scriptedSource({});
  t.deepEqual(await ring(afterRestart.source, clock).verifySignatures([{ serverName: server, json: signed(server, key), atTs: T0 }]), [{ ok: true }]);
  t.deepEqual(afterRestart.asked.direct, [], 'the stored key did, no fetch');
});

test('a batch fetches each server once and answers per item, in order', async (t) => {
  const [a, b] = [uniqueServer(), uniqueServer()];
  const [ka, kb] = [newSigningKey(), newSigningKey()];
  const { source, asked } = scriptedSource({ direct: (s) => (s === a ? keyDoc(a, { current: [ka] }, T0 + DAY) : keyDoc(b, { current: [kb] }, T0 + DAY)) });
  const tampered = { ...(signed(a, ka) as Record<string, unknown>), hello: 'tampered' };
  const items: SignedItem[] = [
    { serverName: a, json: signed(a, ka), atTs: T0 },
    { serverName: b, json: signed(b, kb), atTs: T0 },
    { serverName: a, json: tampered, atTs: T0 },
    { serverName: b, json: signed(b, ka), atTs: T0 },
    { serverName: a, json: { unsigned: true }, atTs: T0 },
    { serverName: a, json: signed(a, ka, { n: 3 }), atTs: T0 },
  ];
  const results = await ring(source, { now: T0 }).verifySignatures(items);
  t.deepEqual(results.map((r) => r.ok), [true, true, false, false, false, true]);
  t.regex((results[2] as { error: string }).error, /does not verify/);
  t.regex((results[3] as { error: string }).error, /no signature of .* by a known key/);
  t.deepEqual(asked.direct.sort(), [a, b].sort());
});

test('a key is valid until valid_until_ts: later signatures make us ask again, and fail if it was not renewed', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const clock = { now: T0 };
  let validUntil = T0 + DAY;
  const { source, asked } = scriptedSource({ direct: () => keyDoc(server, { current: [key] }, validUntil) });
  const r = ring(source, clock);
  t.true((await r.verifySignatures([{ serverName: server, json: signed(server, key), atTs: T0 }]))[0]!.ok);

  clock.now = T0 + 2 * DAY;
  const late = { serverName: server, json: signed(server, key), atTs: T0 + 2 * DAY };
  t.false((await r.verifySignatures([late]))[0]!.ok, 'the server still says it expired yesterday');
  t.is(asked.direct.length, 2);
  t.is(asked.notaries.length, 1, 'notaries are asked when the server does not help');
  t.is(asked.notaries[0]!.get(server)!.minimumValidUntilTs, T0 + 2 * DAY);

  validUntil = T0 + 3 * DAY;
  clock.now += 10_001;
  t.true((await r.verifySignatures([late]))[0]!.ok, 'renewed');
  t.false((await r.verifySignatures([{ ...late, atTs: T0 + 4 * DAY }]))[0]!.ok);
});

test('room versions 1-4 ignore valid_until_ts', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const { source, asked } = scriptedSource({ direct: () => keyDoc(server, { current: [key] }, T0 + DAY) });
  const r = ring(source, { now: T0 });
  const item = { serverName: server, json: signed(server, key), atTs: T0 + 30 * DAY };
  t.true((await r.verifySignatures([{ ...item, enforceKeyValidity: false }]))[0]!.ok);
  t.false((await r.verifySignatures([item]))[0]!.ok);
  t.is(asked.direct.length, 1, 'the later check was throttled, not fetched again at once');
});

test('valid_until_ts is capped at seven days after fetching', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const { source } = scriptedSource({ direct: () => keyDoc(server, { current: [key] }, T0 + 365 * DAY) });
  const r = ring(source, { now: T0 }, 0);
  t.true((await r.verifySignatures([{ serverName: server, json: signed(server, key), atTs: T0 + 7 * DAY }]))[0]!.ok);
  t.false((await r.verifySignatures([{ serverName: server, json: signed(server, key), atTs: T0 + 7 * DAY + 1 }]))[0]!.ok);
});

test('old_verify_keys vouch only for what was signed before expired_ts, and are not asked for again', async (t) => {
  const server = uniqueServer();
  const [oldKey, newKey] = [newSigningKey(), newSigningKey()];
  const { source, asked } = scriptedSource({ direct: () => keyDoc(server, { current: [newKey], old: [{ key: oldKey, expiredTs: T0 - DAY }] }, T0 + DAY) });
  const r = ring(source, { now: T0 }, 0);
  const results = await r.verifySignatures([
    { serverName: server, json: signed(server, oldKey), atTs: T0 - 2 * DAY },
    { serverName: server, json: signed(server, oldKey), atTs: T0 - DAY },
    { serverName: server, json: signed(server, newKey), atTs: T0 },
  ]);
  t.deepEqual(results.map((x) => x.ok), [true, false, true]);
  t.deepEqual((await r.verifySignatures([{ serverName: server, json: signed(server, oldKey), atTs: T0 }])).map((x) => x.ok), [false]);
  t.is(asked.direct.length, 1);
  t.is(await r.verifyKey(server, oldKey.keyId, T0), undefined, 'an old key never signs requests');
  t.is(await r.verifyKey(server, newKey.keyId, T0), newKey.publicKey);
});

test('unknown key IDs do not make us fetch on every request', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const clock = { now: T0 };
  const { source, asked } = scriptedSource({ direct: () => keyDoc(server, { current: [key] }, T0 + DAY) });
  const r = ring(source, clock);
  for (let i = 0; i < 5; i++) t.is(await r.verifyKey(server, 'ed25519:unknown', T0), undefined);
  t.is(asked.direct.length, 1);
  clock.now += 10_001;
  await r.verifyKey(server, 'ed25519:unknown', clock.now);
  t.is(asked.direct.length, 2);
});

test('when the server cannot be reached, notaries vouch; a notary copy does not replace fresher keys', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const { source, asked } = scriptedSource({ notaries: () => [keyDoc(server, { current: [key] }, T0 + DAY)] });
  const r = ring(source, { now: T0 });
  t.true((await r.verifySignatures([{ serverName: server, json: signed(server, key), atTs: T0 }]))[0]!.ok);
  t.deepEqual([...asked.notaries[0]!.entries()], [[server, { keyIds: [key.keyId], minimumValidUntilTs: T0 }]]);

  const store = new RemoteKeyStore(db);
  await store.store(keyDoc(server, { current: [key] }, T0 + 2 * DAY), T0);
  await store.store(keyDoc(server, { current: [key] }, T0 + DAY / 2), T0);
  t.is((await store.keysOf(server)).get(key.keyId)!.validUntilTs, T0 + 2 * DAY);
});

/** A federation client answering from a table of canned responses. */
function cannedClient(answers: Record<string, unknown>): FederationClient {
  return {
    async requestJson<T>(destination: string, options: { method: string; path: string }): Promise<T> {
      const answer = answers[`${destination} ${options.method} ${options.path}`];
      if (answer === undefined) throw new Error(`no answer for ${destination} ${options.path}`);
      return answer as T;
    },
    async requestRaw() {
      throw new Error('not used');
    },
  };
}

test('direct fetching checks the document: its server name and its own signature', async (t) => {
  const key = newSigningKey();
  const good = keyDoc('a.test', { current: [key] }, T0 + DAY).document;
  const unsigned = { ...good, signatures: {} };
  const other = newSigningKey();
  const signedByOther = signJson({ ...good, server_name: 'd.test', signatures: {} }, 'd.test', other.keyId, other.seed);
  const source = new RemoteKeySource({
    client: cannedClient({
      'a.test GET /_matrix/key/v2/server': good,
      'b.test GET /_matrix/key/v2/server': good,
      'c.test GET /_matrix/key/v2/server': { ...unsigned, server_name: 'c.test' },
      'd.test GET /_matrix/key/v2/server': signedByOther,
    }),
    notaries: [],
    notaryKeys: async () => new Map(),
    log,
  });
  t.is((await source.direct('a.test')).verifyKeys.get(key.keyId), key.publicKey);
  await t.throwsAsync(source.direct('b.test'), { message: /server_name/ });
  await t.throwsAsync(source.direct('c.test'), { message: /not signed/ });
  await t.throwsAsync(source.direct('d.test'), { message: /not signed by any verify key/ });
});

test('notary answers count only when the notary signed them and they were asked for', async (t) => {
  const [key, notaryKey, rogue] = [newSigningKey(), newSigningKey(), newSigningKey()];
  const doc = keyDoc('a.test', { current: [key] }, T0 + DAY).document;
  const vouched = signJson(doc, 'notary.test', notaryKey.keyId, notaryKey.seed);
  const forged = signJson(doc, 'notary.test', notaryKey.keyId, rogue.seed);
  const unasked = signJson(keyDoc('z.test', { current: [key] }, T0 + DAY).document, 'notary.test', notaryKey.keyId, notaryKey.seed);
  const wanted = new Map([['a.test', { keyIds: [key.keyId], minimumValidUntilTs: T0 }]]);
  const sourceWith = (docs: object[]) =>
    new RemoteKeySource({
      client: cannedClient({ 'notary.test POST /_matrix/key/v2/query': { server_keys: docs } }),
      notaries: ['notary.test'],
      notaryKeys: async (notary, ids) => new Map(ids.filter((id) => notary === 'notary.test' && id === notaryKey.keyId).map((id) => [id, notaryKey.publicKey])),
      log,
    });
  t.deepEqual((await sourceWith([vouched, unasked]).viaNotaries(wanted)).map((k) => k.serverName), ['a.test']);
  t.deepEqual(await sourceWith([forged]).viaNotaries(wanted), []);
  t.deepEqual(await sourceWith([doc]).viaNotaries(wanted), []);
});

test('the notary refreshes a document past half its lifetime, or not valid until the asked time; else answers from the store', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const store = new RemoteKeyStore(db);
  await store.store(keyDoc(server, { current: [key] }, T0 + DAY), T0);
  const clock = { now: T0 + 1000 };
  let refreshed = 0;
  const keyRing = { fetchDirect: async () => { refreshed++; throw new Error('down'); } } as unknown as KeyRing;
  const notaryKey = newSigningKey();
  const notary = new Notary({ serverName: 'notary.test', signingKey: notaryKey, ownDocument: () => ({}), store, keyRing, log, now: () => clock.now });
  const ask = (keys: Map<string, number | undefined> = new Map(), minimum?: number) => notary.query(new Map([[server, keys]]), minimum);

  const docs = await ask();
  t.is(refreshed, 0);
  t.is(docs.length, 1);
  t.truthy((docs[0]!['signatures'] as any)['notary.test'][notaryKey.keyId], 'signed by the notary');
  await ask(new Map([[key.keyId, T0 + DAY]]));
  t.is(refreshed, 0, 'valid until the asked time');
  await ask(new Map([[key.keyId, T0 + DAY + 1]]));
  t.is(refreshed, 1);
  await ask(new Map(), T0 + 2 * DAY);
  t.is(refreshed, 2, 'the GET form minimum counts too');
  clock.now = T0 + DAY / 2 + 1;
  t.is((await ask()).length, 1, 'the server is down: what is cached is answered anyway');
  t.is(refreshed, 3, 'half the lifetime has passed');
});

test('requests arriving while the keys are being fetched wait for that fetch instead of failing', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const clock = { now: T0 };
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const asked: string[] = [];
  const source: KeySource = {
    async direct(s) {
      asked.push(s);
      await gate;
      return keyDoc(server, { current: [key] }, T0 + DAY);
    },
    viaNotaries: async () => [],
  };
  const r = ring(source, clock);
  const item: SignedItem = { serverName: server, json: signed(server, key), atTs: T0 };
  const first = r.verifySignatures([item]);
  await new Promise((resolve) => setImmediate(resolve));
  const second = r.verifySignatures([item]);
  release();
  t.deepEqual(await Promise.all([first, second]), [[{ ok: true }], [{ ok: true }]]);
  t.deepEqual(asked, [server]);
});

test('a batch in chunks fetches each server once for all it announced, key IDs that only later chunks use included', async (t) => {
  const server = uniqueServer();
  const [k1, k2] = [newSigningKey(), newSigningKey()];
  // The server cannot be reached; the notary answers for exactly the key IDs it is asked about.
  const { source, asked } = scriptedSource({
    notaries: (wanted) => [keyDoc(server, { current: [k1, k2].filter((k) => wanted.get(server)?.keyIds.includes(k.keyId)) }, T0 + DAY)],
  });
  const first: SignedItem[] = [1, 2, 3].map((n) => ({ serverName: server, json: signed(server, k1, { n }), atTs: T0 }));
  const second: SignedItem[] = [4, 5].map((n) => ({ serverName: server, json: signed(server, k2, { n }), atTs: T0 }));
  const forged: SignedItem = { serverName: server, json: { ...(signed(server, k2, { n: 6 }) as Record<string, unknown>), n: 7 }, atTs: T0 };
  const batch = ring(source, { now: T0 }).batch([...first, ...second, forged]);
  const results = await Promise.all([batch.check(first), batch.check([...second, forged])]);
  t.deepEqual(results.map((r) => r.map((c) => c.ok)), [[true, true, true], [true, true, false]]);
  t.deepEqual(asked.direct, [server], 'asked directly once');
  t.deepEqual(asked.notaries.map((w) => w.get(server)?.keyIds.sort()), [[k1.keyId, k2.keyId].sort()], 'and the notaries once, for both keys');

  // Checked one chunk at a time instead, the second chunk's key is not asked for again so soon.
  const other = uniqueServer();
  const { source: source2, asked: asked2 } = scriptedSource({
    notaries: (wanted) => [keyDoc(other, { current: [k1, k2].filter((k) => wanted.get(other)?.keyIds.includes(k.keyId)) }, T0 + DAY)],
  });
  const r2 = ring(source2, { now: T0 });
  t.true((await r2.verifySignatures([{ serverName: other, json: signed(other, k1), atTs: T0 }]))[0]!.ok);
  t.false((await r2.verifySignatures([{ serverName: other, json: signed(other, k2), atTs: T0 }]))[0]!.ok);
  t.is(asked2.notaries.length, 1);
});

test('signed bytes given with an item stand for its encoding: only its signatures are read', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const { source } = scriptedSource({ direct: () => keyDoc(server, { current: [key] }, T0 + DAY) });
  const r = ring(source, { now: T0 });
  const redacted = signed(server, key, { type: 'm.room.message', content: {} }) as Record<string, unknown>;
  const bytes = canonicalJsonBytes({ type: 'm.room.message', content: {} });
  const full = { ...redacted, content: { body: 'not covered by the signature' }, unsigned: { age: 1 } };
  const results = await r.verifySignatures([
    { serverName: server, json: full, signedBytes: bytes, atTs: T0 },
    { serverName: server, json: full, atTs: T0 },
    { serverName: server, json: redacted, atTs: T0 },
    { serverName: server, json: full, signedBytes: canonicalJsonBytes({ type: 'm.room.message', content: { x: 1 } }), atTs: T0 },
    { serverName: server, json: { ...full, signatures: {} }, signedBytes: bytes, atTs: T0 },
  ]);
  t.deepEqual(results.map((c) => c.ok), [true, false, true, false, false]);
  const batch = r.batch([{ serverName: server, json: full, atTs: T0 }]);
  t.deepEqual(await batch.check([{ serverName: server, json: full, signedBytes: bytes, atTs: T0 }]), [{ ok: true }]);
});

test('a batch that fails to get keys rejects its chunks, and one that never gets a chunk leaves nothing unhandled', async (t) => {
  const server = uniqueServer();
  const key = newSigningKey();
  const failing = new KeyRing({
    serverName: 'local.test',
    ownKeys: () => new Map(),
    store: { keysOf: () => Promise.reject(new Error('database down')) } as unknown as RemoteKeyStore,
    source: scriptedSource({}).source,
    log,
  });
  const item: SignedItem = { serverName: server, json: signed(server, key), atTs: T0 };
  failing.batch([item]); // never checked: its failure must not surface as an unhandled rejection
  await t.throwsAsync(failing.batch([item]).check([item]), { message: 'database down' });
  await new Promise((resolve) => setImmediate(resolve));
});
