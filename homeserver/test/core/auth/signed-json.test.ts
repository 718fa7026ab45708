import test from 'ava';
import type { JsonObject } from '../../../src/core/json.js';
import { anySignatureMatches } from '../../../src/core/auth/signed-json.js';
import { isValidUserId, serverNameOf } from '../../../src/core/auth/user-id.js';
import { loadVector } from '../../helpers/vectors.js';

interface Appendix {
  signing: {
    public_key: string;
    server_name: string;
    key_id: string;
    json_signing: { cases: Array<{ input: JsonObject; expected_signed: JsonObject }> };
  };
}

const appendix = loadVector<Appendix>('spec-appendix.json');

test('signed JSON: the spec appendix signatures verify, altered ones do not', (t) => {
  const { public_key: key } = appendix.signing;
  for (const { expected_signed: signed } of appendix.signing.json_signing.cases) {
    t.true(anySignatureMatches(signed, [key]));
    t.false(anySignatureMatches({ ...signed, extra: true }, [key]));
    t.false(anySignatureMatches(signed, []));
  }
});

test('user IDs: the server name is after the first colon; historical localparts are valid', (t) => {
  t.is(serverNameOf('@a:b.example:8448'), 'b.example:8448');
  t.is(serverNameOf('nocolon'), undefined);
  t.true(isValidUserId('@alice:example.org'));
  t.true(isValidUserId('@Ünïcode Name:[::1]:8448'));
  t.true(isValidUserId('@:1.2.3.4'));
  t.false(isValidUserId('alice:example.org'));
  t.false(isValidUserId('@alice'));
  t.false(isValidUserId('@alice:exa_mple.org'));
  t.false(isValidUserId('@a\u0000b:example.org'));
  t.false(isValidUserId(`@${'a'.repeat(250)}:example.org`));
  t.false(isValidUserId(42));
});
