import { errors } from '../../http/errors.js';

/**
 * Positions in every stream a client syncs. A sync token is the tuple, so one token says exactly
 * what a client has seen of each stream; nothing is missed or sent twice.
 */
export interface SyncPositions {
  events: number;
  accountData: number;
  receipts: number;
  presence: number;
  typing: number;
  toDevice: number;
  deviceLists: number;
}

const ORDER: Array<keyof SyncPositions> = ['events', 'accountData', 'receipts', 'presence', 'typing', 'toDevice', 'deviceLists'];

export const ZERO: SyncPositions = { events: 0, accountData: 0, receipts: 0, presence: 0, typing: 0, toDevice: 0, deviceLists: 0 };

/** `s<events>_<account data>_<receipts>_<presence>_<typing>_<to-device>_<device lists>` */
export function formatSyncToken(p: SyncPositions): string {
  return `s${p.events}_${p.accountData}_${p.receipts}_${p.presence}_${p.typing}_${p.toDevice}_${p.deviceLists}`;
}

const MAX_PARTS = 16;
const MAX_DIGITS = 16;

/**
 * Read by hand rather than by regular expression and split: every long-poll request parses one.
 * Accepts `s` and 1 to 16 parts of 1 to 16 digits joined by `_`; parts beyond the streams known
 * today are ignored, missing ones are 0 (tokens from older and newer versions still work).
 */
export function parseSyncToken(s: string): SyncPositions {
  if (s.charCodeAt(0) !== 0x73 /* s */) throw errors.invalidParam('Invalid sync token');
  const parts: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 1; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x5f; /* _ ends the last part */
    if (c >= 0x30 && c <= 0x39) {
      if (++digits > MAX_DIGITS) throw errors.invalidParam('Invalid sync token');
      value = value * 10 + (c - 0x30);
    } else if (c === 0x5f && digits > 0 && parts.length < MAX_PARTS) {
      if (!Number.isSafeInteger(value)) throw errors.invalidParam('Invalid sync token');
      parts.push(value);
      value = 0;
      digits = 0;
    } else {
      throw errors.invalidParam('Invalid sync token');
    }
  }
  const out = { ...ZERO };
  for (let i = 0; i < ORDER.length && i < parts.length; i++) out[ORDER[i]!] = parts[i]!;
  return out;
}

/** Whether `a` and `b` name the same position in every stream (field by field: on every long-poll). */
export function samePositions(a: SyncPositions, b: SyncPositions): boolean {
  return (
    a.events === b.events &&
    a.accountData === b.accountData &&
    a.receipts === b.receipts &&
    a.presence === b.presence &&
    a.typing === b.typing &&
    a.toDevice === b.toDevice &&
    a.deviceLists === b.deviceLists
  );
}

/** Whether anything in `b` is ahead of `a`. */
export function isAhead(b: SyncPositions, a: SyncPositions): boolean {
  return ORDER.some((k) => b[k] > a[k]);
}
