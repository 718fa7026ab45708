import { errors } from '../../http/errors.js';

/** A place in a room's history, in topological order: what /messages pages from. */
export interface TopologicalToken {
  depth: number;
  stream: number;
}

/** `t<depth>_<stream>`: opaque to clients, stable across restarts. */
export function formatTopological(t: TopologicalToken): string {
  return `t${t.depth}_${t.stream}`;
}

/**
 * Parses a pagination token: a topological token, or a stream token `s<position>` such as sync's
 * `next_batch` (clients may start /messages from it).
 */
export function parsePaginationToken(s: string): { kind: 'topological'; token: TopologicalToken } | { kind: 'stream'; position: number } {
  // Backfilled history sits at negative stream positions.
  let m = /^t(\d{1,16})_(-?\d{1,16})$/.exec(s);
  if (m && Number.isSafeInteger(Number(m[1])) && Number.isSafeInteger(Number(m[2]))) {
    return { kind: 'topological', token: { depth: Number(m[1]), stream: Number(m[2]) } };
  }
  m = /^s(\d{1,16})(?:_\d{1,16})*$/.exec(s);
  if (m && Number.isSafeInteger(Number(m[1]))) return { kind: 'stream', position: Number(m[1]) };
  throw errors.invalidParam('Invalid pagination token');
}
