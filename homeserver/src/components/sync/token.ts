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
  return `s${ORDER.map((k) => p[k]).join('_')}`;
}

export function parseSyncToken(s: string): SyncPositions {
  const m = /^s(\d{1,16}(?:_\d{1,16}){0,15})$/.exec(s);
  if (!m) throw errors.invalidParam('Invalid sync token');
  const parts = m[1]!.split('_').map(Number);
  if (parts.some((n) => !Number.isSafeInteger(n))) throw errors.invalidParam('Invalid sync token');
  const out = { ...ZERO };
  ORDER.forEach((k, i) => {
    out[k] = parts[i] ?? 0;
  });
  return out;
}

/** Whether anything in `b` is ahead of `a`. */
export function isAhead(b: SyncPositions, a: SyncPositions): boolean {
  return ORDER.some((k) => b[k] > a[k]);
}
