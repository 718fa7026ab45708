import { signJson, verifyJson } from '../../../core/signing.js';

/**
 * The `Authorization: X-Matrix …` header of server-server "Request Authentication": the request's
 * method, target, origin, destination and JSON body are signed as one JSON object.
 */

export interface XMatrixParams {
  origin: string;
  /** Absent in requests of servers older than spec v1.3. */
  destination: string | undefined;
  key: string;
  sig: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as on the request line, e.g. `/_matrix/federation/v1/send/1?x=y`. */
  uri: string;
  origin: string;
  destination: string;
  /** The JSON-parsed body; undefined for requests without one. */
  content?: unknown;
}

function requestJson(r: SignedRequest): Record<string, unknown> {
  const json: Record<string, unknown> = { method: r.method, uri: r.uri, origin: r.origin, destination: r.destination };
  if (r.content !== undefined) json['content'] = r.content;
  return json;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The header value for an outbound request; lower-case names, one space, no whitespace around commas. */
export function xMatrixAuthorization(r: SignedRequest, keyId: string, seed: Uint8Array): string {
  const signed = signJson(requestJson(r), r.origin, keyId, seed);
  const sig = signed.signatures[r.origin]![keyId]!;
  return `X-Matrix origin=${quote(r.origin)},destination=${quote(r.destination)},key=${quote(keyId)},sig=${quote(sig)}`;
}

/** Whether `sig` is `origin`'s signature with `publicKey` over the request. */
export function verifyXMatrix(r: SignedRequest, keyId: string, sig: string, publicKey: string): boolean {
  const json = { ...requestJson(r), signatures: { [r.origin]: { [keyId]: sig } } };
  return verifyJson(json, r.origin, keyId, publicKey);
}

const SCHEME = /^X-Matrix[ \t]+/i;
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses the header per RFC 9110 §11.4 as the spec asks: case-insensitive names, values as tokens
 * or quoted strings with backslash escapes, optional whitespace around commas and `=`. Unquoted
 * values may hold colons (older servers send `origin=example.org:8448`) and any other character
 * but whitespace and commas, so an unquoted base64 signature still reads. Unknown parameters are
 * ignored; a parameter given twice makes the header ambiguous and so invalid. Undefined when the
 * header is not a usable X-Matrix header.
 */
export function parseXMatrix(header: string | undefined): XMatrixParams | undefined {
  if (typeof header !== 'string') return undefined;
  const scheme = SCHEME.exec(header);
  if (!scheme) return undefined;
  const params = new Map<string, string>();
  let rest = header.slice(scheme[0].length);
  while (true) {
    rest = rest.replace(/^[ \t,]+/, '');
    if (rest === '') break;
    const name = NAME.exec(rest);
    if (!name) return undefined;
    rest = rest.slice(name[0].length).replace(/^[ \t]*/, '');
    if (!rest.startsWith('=')) return undefined;
    rest = rest.slice(1).replace(/^[ \t]*/, '');
    let value: string;
    if (rest.startsWith('"')) {
      let i = 1;
      value = '';
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === '\\') i++;
        if (i >= rest.length) return undefined;
        value += rest[i];
        i++;
      }
      if (i >= rest.length) return undefined; // unterminated
      rest = rest.slice(i + 1);
    } else {
      const m = /^[^\s,"]*/.exec(rest)!;
      value = m[0];
      rest = rest.slice(value.length);
    }
    // Only whitespace or a comma may follow a value.
    if (rest !== '' && !/^[ \t]*(,|$)/.test(rest)) return undefined;
    const key = name[0].toLowerCase();
    if (params.has(key)) return undefined;
    params.set(key, value);
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (!origin || !key || !sig) return undefined;
  return { origin, destination: params.get('destination'), key, sig };
}
