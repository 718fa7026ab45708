import test from 'ava';
import { formatSyncToken, parseSyncToken, ZERO } from '../../src/components/sync/token.js';
import { MatrixError } from '../../src/http/errors.js';

const full = { events: 12, accountData: 3, receipts: 0, presence: 99, typing: 7, toDevice: 123456789012, deviceLists: 5 };

test('a formatted token parses back to the same positions', (t) => {
  t.is(formatSyncToken(full), 's12_3_0_99_7_123456789012_5');
  t.deepEqual(parseSyncToken(formatSyncToken(full)), full);
  t.deepEqual(parseSyncToken(formatSyncToken(ZERO)), ZERO);
});

test('tokens with fewer or more parts than known streams still parse', (t) => {
  t.deepEqual(parseSyncToken('s42'), { ...ZERO, events: 42 });
  t.deepEqual(parseSyncToken('s1_2'), { ...ZERO, events: 1, accountData: 2 });
  t.deepEqual(parseSyncToken(`s${Array.from({ length: 16 }, (_, i) => i + 1).join('_')}`), {
    events: 1,
    accountData: 2,
    receipts: 3,
    presence: 4,
    typing: 5,
    toDevice: 6,
    deviceLists: 7,
  });
});

test('malformed tokens are M_INVALID_PARAM', (t) => {
  const bad = ['', 's', 'x1_2', 's1__2', 's_1', 's1_', 's1_2a', 's-1', 's1.5', ' s1', 's1 ', `s${'9'.repeat(17)}`, `s${'1_'.repeat(16)}1`, 's99999999999999999', 'garbage'];
  for (const token of bad) {
    const err = t.throws(() => parseSyncToken(token), { instanceOf: MatrixError }, token);
    t.is(err?.errcode, 'M_INVALID_PARAM', token);
  }
});

test('16-digit parts are accepted only while they are safe integers', (t) => {
  t.is(parseSyncToken('s9007199254740991').events, Number.MAX_SAFE_INTEGER);
  t.throws(() => parseSyncToken('s9007199254740993'), { instanceOf: MatrixError });
});
