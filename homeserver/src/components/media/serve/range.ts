import type { ByteRange } from '../blobs/blob-store.js';

/**
 * Reads a Range header against a file of `size` bytes (RFC 9110 §14). Answers the one range to
 * send, 'unsatisfiable' for 416, or undefined to send the whole file: no header, another unit,
 * a malformed value or several ranges (which a server may answer in full).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  // "bytes=5-3" is not a valid range: the header is ignored.
  if (!Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}
