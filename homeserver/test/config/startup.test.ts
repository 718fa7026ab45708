import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

test('a bad setting stops start-up with one line naming the key and exit code 2', (t) => {
  const res = spawnSync(process.execPath, ['--import=tsx', main], {
    env: { ...process.env, HS_PORT: 'eighty', HS_DATA_DIR: '/nonexistent-never-created' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.is(res.status, 2);
  const lines = res.stderr.trim().split('\n');
  t.is(lines.length, 1, res.stderr);
  t.regex(lines[0]!, /^config error: HS_PORT: must be a whole number/);
});
