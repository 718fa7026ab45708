import test from 'ava';
import { parseQuery } from '../../src/http/params.js';

/** What URLSearchParams makes of the string, first value per name: the behaviour parseQuery keeps. */
function reference(qs: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(qs)) if (!out.has(k)) out.set(k, v);
  return out;
}

const cases = [
  '',
  'since=s1_2_3&timeout=30000',
  'filter=%7B%22room%22%3A%7B%7D%7D&since=s1',
  'a=1&a=2&b=3',
  'a=one+two&b=%2B&c=%20x',
  'flag&empty=&=nameless&&&x=1',
  'x=a=b=c',
  'bad=%ZZ&ok=1',
  'half=%E2%82&ok=%E2%82%AC',
  'trail=%',
  '%61%62=decoded-name',
  'emoji=%F0%9F%98%80&plus=a+b+c',
  'access_token=syt_abc&access_token=other',
];

test('parses query strings as URLSearchParams does, first value per name', (t) => {
  for (const qs of cases) t.deepEqual([...parseQuery(qs)], [...reference(qs)], qs);
});

test('repeated names keep their first value; bare names are empty strings', (t) => {
  const q = parseQuery('via=a.org&via=b.org&bare');
  t.is(q.get('via'), 'a.org');
  t.is(q.get('bare'), '');
  t.is(q.get('absent'), undefined);
});
