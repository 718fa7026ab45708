import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/db/database.js';
import { startStack } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

test('closing the listener lets an in-flight request finish its write, and refuses new connections', async (t) => {
  const tdb = await createTestDatabase();
  const { db, close } = tdb.open();
  t.teardown(async () => {
    await close();
    await tdb.drop();
  });
  await db.schema.createTable('writes', (tb) => tb.text('v'));
  let started!: () => void;
  const inside = new Promise<void>((r) => (started = r));
  const { url, listener } = await startStack(t, (router) => {
    router.put('/slow', async (ctx) => {
      started();
      await new Promise((r) => setTimeout(r, 300));
      await db('writes').insert({ v: 'kept' });
      ctx.body = { done: true };
    });
  });
  const pending = fetch(`${url}/slow`, { method: 'PUT' });
  await inside;
  const closed = listener.close(10_000);
  const res = await pending;
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { done: true });
  await closed;
  t.deepEqual(await db('writes').select('v'), [{ v: 'kept' }]);
  await t.throwsAsync(fetch(`${url}/slow`, { method: 'PUT' }));
});

function runServer(dataDir: string, port: number) {
  const child = spawn(process.execPath, ['--import=tsx', main], {
    env: { ...process.env, DATABASE_URL: '', HS_DATA_DIR: dataDir, HS_PORT: String(port), HS_LOG_LEVEL: 'info', HS_SERVER_NAME: 'shutdown.test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const started = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /"msg":"homeserver started"/.test(out) && /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before starting:\n${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, started, exited, output: () => out };
}

test('SIGTERM stops the embedded-database server cleanly, and its data is there on the next start', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-shutdown-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = runServer(dataDir, 0);
  const port = await first.started;
  const versions = await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`);
  t.is(versions.status, 200);
  // The key ID is in the start-up line (the key server itself is on the federation listener, off here).
  const keyIdOf = (out: string): string | undefined => /"keyId":"(ed25519:[A-Za-z0-9_]+)"/.exec(out)?.[1];
  const key1 = keyIdOf(first.output());
  t.truthy(key1);
  first.child.kill('SIGTERM');
  t.is(await first.exited, 0, first.output());
  t.regex(first.output(), /"msg":"stopped"/);

  const second = runServer(dataDir, 0);
  await second.started;
  t.is(keyIdOf(second.output()), key1);
  // Nothing new to apply: the first run's schema was persisted.
  t.notRegex(second.output(), /database schema updated/);
  second.child.kill('SIGTERM');
  t.is(await second.exited, 0, second.output());

  // The embedded database files are intact and readable after both clean stops.
  const embedded = openDatabase({ embeddedDir: path.join(dataDir, 'db') });
  try {
    const rows = await embedded.db('schema_migrations').select('name');
    t.true(rows.some((r: { name: string }) => r.name === 'federation/001_remote_server_keys'));
  } finally {
    await embedded.close();
  }
});
