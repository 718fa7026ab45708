/** OpenGraph properties from a page, before og:image is replaced by an mxc:// URI. */
export type OpenGraphData = Record<string, string>;

const MAX_PROPERTIES = 50;
const MAX_VALUE_LENGTH = 2000;
/** HTML's Latin-1 entities are code points 160-255 in this order. */
const LATIN1 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest ' +
  'Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig ' +
  'agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'",
  ndash: '\u2013', mdash: '\u2014', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', hellip: '\u2026', bull: '\u2022', trade: '\u2122', euro: '\u20ac',
  ...Object.fromEntries(LATIN1.split(' ').map((name, i) => [name, String.fromCharCode(160 + i)])),
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z][a-z0-9]{1,7});/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Attributes of one tag, names lower-cased, values entity-decoded. */
function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=/"'<>]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+)))?/g;
  for (const m of tag.matchAll(re)) {
    const name = m[1]!.toLowerCase();
    if (!out.has(name)) out.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, MAX_VALUE_LENGTH);

/**
 * Reads OpenGraph metadata from HTML: `<meta property="og:…">` (or `name=`), falling back to the
 * `<title>` and the description meta tag. A forgiving scan, not a full parser: pages in the wild
 * are rarely valid, and scripts, styles and comments are skipped so their text cannot pose as tags.
 */
export function parseOpenGraph(html: string): OpenGraphData {
  const text = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(script|style|template)\b[\s\S]*?<\/\1\s*>/gi, '');
  const og: OpenGraphData = {};
  let description: string | undefined;
  let count = 0;
  for (const m of text.matchAll(/<meta\b([^>]*)>/gi)) {
    const a = attributes(m[1]!);
    const key = (a.get('property') ?? a.get('name') ?? '').toLowerCase();
    const content = a.get('content');
    if (content === undefined) continue;
    if (key === 'description') description ??= clean(content);
    if (!key.startsWith('og:') || key in og || count >= MAX_PROPERTIES) continue;
    og[key] = clean(content);
    count++;
  }
  if (!og['og:title']) {
    const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(text);
    if (title && clean(decodeEntities(title[1]!))) og['og:title'] = clean(decodeEntities(title[1]!));
  }
  if (!og['og:description'] && description) og['og:description'] = description;
  return og;
}

/** The page's character set: the Content-Type's, else a `<meta charset>`, else UTF-8. */
export function detectCharset(contentType: string, head: Buffer): string {
  const fromHeader = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1];
  if (fromHeader) return fromHeader;
  const start = head.subarray(0, 4096).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(start)?.[1] ?? 'utf-8';
}

export function decodeHtml(body: Buffer, contentType: string): string {
  const charset = detectCharset(contentType, body);
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}
