import test from 'ava';
import { fileURLToPath } from 'node:url';
import { loadConfig, ENVIRONMENT_VARIABLES } from '../../src/config/load.js';
import { readFileSync } from 'node:fs';

const example = fileURLToPath(new URL('../../../deploy/homeserver.example.yaml', import.meta.url));

test('the sample configuration loads and gives the defaults', (t) => {
  t.deepEqual(loadConfig({ file: example, env: {} }), loadConfig({ env: {} }));
});

test('the sample configuration documents every environment variable', (t) => {
  const text = readFileSync(example, 'utf8');
  for (const { env } of ENVIRONMENT_VARIABLES) t.true(text.includes(env), `${env} is not in the sample`);
});
