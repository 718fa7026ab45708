import test from 'ava';
import { parseXMatrix, verifyXMatrix, xMatrixAuthorization } from '../../src/components/federation/auth/x-matrix.js';
import { newSigningKey } from '../../src/components/federation/signing-key.js';

test('the header we send: lower-case names, quoted values, one space, no spaces around commas', (t) => {
  const key = newSigningKey();
  const header = xMatrixAuthorization({ method: 'GET', uri: '/_matrix/federation/v1/version', origin: 'a.test', destination: 'b.test:8448' }, key.keyId, key.seed);
  t.regex(header, /^X-Matrix origin="a\.test",destination="b\.test:8448",key="ed25519:a_[A-Za-z0-9]{4}",sig="[A-Za-z0-9+/]{86}"$/);
  const parsed = parseXMatrix(header)!;
  t.deepEqual({ ...parsed, sig: '' }, { origin: 'a.test', destination: 'b.test:8448', key: key.keyId, sig: '' });
  t.true(verifyXMatrix({ method: 'GET', uri: '/_matrix/federation/v1/version', origin: 'a.test', destination: 'b.test:8448' }, parsed.key, parsed.sig, key.publicKey));
  t.false(verifyXMatrix({ method: 'GET', uri: '/_matrix/federation/v1/version', origin: 'a.test', destination: 'c.test' }, parsed.key, parsed.sig, key.publicKey));
});

test('the body is signed as `content`; requests without a body carry none', (t) => {
  const key = newSigningKey();
  const req = { method: 'PUT', uri: '/x', origin: 'a.test', destination: 'b.test', content: { n: 1 } };
  const { key: keyId, sig } = parseXMatrix(xMatrixAuthorization(req, key.keyId, key.seed))!;
  t.true(verifyXMatrix(req, keyId, sig, key.publicKey));
  t.false(verifyXMatrix({ ...req, content: { n: 2 } }, keyId, sig, key.publicKey));
  t.false(verifyXMatrix({ ...req, content: undefined }, keyId, sig, key.publicKey));
});

test('parsing follows RFC 9110 auth-params: any order, case-insensitive names, tokens or quoted strings', (t) => {
  const expected = { origin: 'origin.example:8448', destination: 'dest.example', key: 'ed25519:k1', sig: 'ab+c/d=' };
  for (const header of [
    'X-Matrix origin="origin.example:8448",destination="dest.example",key="ed25519:k1",sig="ab+c/d="',
    'x-matrix   ORIGIN=origin.example:8448 , Destination = "dest.example",\tkey=ed25519:k1,sig=ab+c/d=',
    'X-Matrix sig="ab+c/d=",key="ed25519:k1",destination="dest.example",origin="origin.example:8448",future="ignored"',
    'X-Matrix origin="origin\\.example:8448",destination="dest.example",key="ed25519:k1",sig="ab+c/d="',
  ]) {
    t.deepEqual(parseXMatrix(header), expected, header);
  }
  t.deepEqual(parseXMatrix('X-Matrix origin=a.test,key=ed25519:k,sig=s'), { origin: 'a.test', destination: undefined, key: 'ed25519:k', sig: 's' });
});

test('malformed headers are refused', (t) => {
  for (const header of [
    undefined,
    '',
    'Bearer abc',
    'X-Matrixorigin="a",key="k",sig="s"',
    'X-Matrix origin="a",key="k"',
    'X-Matrix origin="a",key="k",sig="s',
    'X-Matrix origin="a" key="k",sig="s"',
    'X-Matrix origin="a",origin="b",key="k",sig="s"',
    'X-Matrix origin=,key="k",sig="s"',
    'X-Matrix ="a",key="k",sig="s"',
  ]) {
    t.is(parseXMatrix(header), undefined, String(header));
  }
});
