/**
 * Reading what another server put in Content-Type and Content-Disposition headers (RFC 9110
 * parameters, RFC 6266 / RFC 8187 file names). Everything here comes from a remote server: what
 * does not parse is treated as absent rather than trusted, since these values are stored and later
 * echoed in our own response headers.
 */

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// `; name=value` or `; name="quoted"`; an empty segment (`attachment;`) is tolerated.
const PARAM = /;\s*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\[\s\S])*"|[^;\s"]*)\s*)?/gy;

/** `type/subtype; a=1; b="x y"` → the lower-cased value before the first `;` and its parameters (names lower-cased). */
export function parseHeaderParams(value: string): { value: string; params: Map<string, string> } | undefined {
  const semi = value.indexOf(';');
  const head = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  if (semi < 0) return { value: head, params };
  const rest = value.slice(semi);
  PARAM.lastIndex = 0;
  let end = 0;
  for (let m = PARAM.exec(rest); m; m = PARAM.exec(rest)) {
    end = PARAM.lastIndex;
    if (m[1] === undefined) continue;
    const name = m[1].toLowerCase();
    const raw = m[2]!;
    const v = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\([\s\S])/g, '$1') : raw;
    // A repeated parameter is ambiguous (which boundary, which name?): refuse the header.
    if (params.has(name)) return undefined;
    params.set(name, v);
  }
  if (rest.slice(end).trim() !== '') return undefined;
  return { value: head, params };
}

/** RFC 2046 boundary characters; at most 70, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The boundary of a `multipart/mixed` Content-Type; undefined for any other type or a bad boundary. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const parsed = contentType === undefined ? undefined : parseHeaderParams(contentType);
  if (parsed?.value !== 'multipart/mixed') return undefined;
  const boundary = parsed.params.get('boundary');
  return boundary !== undefined && BOUNDARY.test(boundary) ? boundary : undefined;
}

/**
 * A media type fit to store and send back: `type/subtype[; params]` in printable ASCII, as our
 * upload endpoint accepts them; undefined otherwise (the caller falls back to octet-stream).
 */
export function safeMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const raw = contentType.trim();
  if (raw === '' || raw.length > 255 || !/^[\x20-\x7e]+$/.test(raw)) return undefined;
  const parsed = parseHeaderParams(raw);
  if (!parsed) return undefined;
  const [type, subtype, extra] = parsed.value.split('/');
  if (!type || !subtype || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  return raw;
}

/**
 * The file name of a Content-Disposition: `filename*` (RFC 8187, UTF-8 or ISO-8859-1) when it
 * decodes, else `filename`. Names with control characters or over 1024 characters are dropped, as
 * our upload endpoint refuses them.
 */
export function dispositionFilename(disposition: string | undefined): string | undefined {
  if (disposition === undefined) return undefined;
  const parsed = parseHeaderParams(disposition);
  if (!parsed) return undefined;
  const extended = parsed.params.get('filename*');
  const name = (extended !== undefined ? decodeExtValue(extended) : undefined) ?? parsed.params.get('filename');
  // eslint-disable-next-line no-control-regex
  if (name === undefined || name === '' || name.length > 1024 || /[\u0000-\u001f\u007f]/.test(name)) return undefined;
  return name;
}

function decodeExtValue(v: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'(.*)$/.exec(v);
  if (!m) return undefined;
  const charset = m[1]!.toLowerCase();
  const encoded = m[2]!;
  if (!/^(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*$/.test(encoded)) return undefined;
  if (charset === 'utf-8') {
    try {
      return decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
  }
  if (charset === 'iso-8859-1') return encoded.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return undefined;
}
