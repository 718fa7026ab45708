import { randomBytes } from 'node:crypto';
import type { JsonValue } from '../core/json.js';

/**
 * JSON text made earlier, to be placed as it is into a larger document. Sync sends the same
 * events to every member of a room; each event is serialized once (client-events.ts) and every
 * member's response splices in the text instead of building and serializing the objects again.
 *
 * Serialized with plain JSON.stringify it still gives the right document (toJSON parses the text
 * back); `stringifyWithRaw` is the fast way.
 */
export class RawJson {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    if (collecting === undefined) return JSON.parse(this.json) as unknown;
    collecting.push(this.json);
    return `${MARK}${collecting.length - 1}`;
  }
}

/**
 * What stands for a raw piece while the document is serialized. The nonce is random per process
 * and never sent, so no string a user writes can pose as a placeholder.
 */
const MARK = `\u0001${randomBytes(12).toString('hex')}:`;
/** The placeholder as JSON.stringify writes it: quoted, the control character escaped. */
const QUOTED_MARK = JSON.stringify(MARK).slice(0, -1);

/** The raw pieces met by the serialization under way (JSON.stringify is synchronous, so one at a time). */
let collecting: string[] | undefined;

/** JSON.stringify for a document that may hold RawJson pieces. */
export function stringifyWithRaw(value: unknown): string {
  const outer = collecting;
  const pieces: string[] = [];
  collecting = pieces;
  let text: string;
  try {
    text = JSON.stringify(value);
  } finally {
    collecting = outer;
  }
  if (pieces.length === 0) return text;
  // Placeholders appear in the text in the order toJSON met them: one forward scan replaces all.
  let out = '';
  let at = 0;
  for (let i = 0; i < pieces.length; i++) {
    const placeholder = `${QUOTED_MARK}${i}"`;
    const found = text.indexOf(placeholder, at);
    if (found < 0) throw new Error('raw JSON placeholder missing');
    out += text.slice(at, found) + pieces[i]!;
    at = found + placeholder.length;
  }
  return out + text.slice(at);
}

/**
 * A raw piece placed where a JSON value is typed: it serializes as its text (through toJSON or
 * stringifyWithRaw), which is all the documents it goes into are used for.
 */
export function embedRaw(raw: RawJson): JsonValue {
  return raw as unknown as JsonValue;
}
