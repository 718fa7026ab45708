/**
 * The content types the spec allows to be served `inline`: none of them can run script when the
 * browser trusts the Content-Type. Everything else is sent as an attachment.
 */
const INLINE_TYPES = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

/** The spec's recommended policy, plus media-src so that audio and video in the sandbox play. */
export const CONTENT_SECURITY_POLICY =
  "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

/** Content is addressed by an ID that never changes meaning: caches may keep it for a year. */
export const IMMUTABLE_CACHE_PRIVATE = 'private, max-age=31536000, immutable';
export const IMMUTABLE_CACHE_PUBLIC = 'public, max-age=31536000, immutable';

/** The media type without parameters, lower-cased: `Text/Plain; charset=x` → `text/plain`. */
export function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(essence(contentType));
}

/** Text served without a charset would be sniffed by browsers; say UTF-8 when the uploader did not. */
export function servedContentType(contentType: string): string {
  const e = essence(contentType);
  if (e.startsWith('text/') && !/;\s*charset=/i.test(contentType)) return `${contentType}; charset=utf-8`;
  return contentType;
}

/**
 * RFC 6266 Content-Disposition: an ASCII `filename` for old clients and, when the name is not
 * plain ASCII, an RFC 8187 `filename*` with the exact UTF-8 name.
 */
export function contentDisposition(disposition: 'inline' | 'attachment', filename: string | null | undefined): string {
  if (!filename) return disposition;
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const plain = ascii === filename && !/[%]/.test(filename);
  if (plain) return `${disposition}; filename="${ascii}"`;
  return `${disposition}; filename="${ascii}"; filename*=utf-8''${encodeRfc8187(filename)}`;
}

function encodeRfc8187(s: string): string {
  // attr-char per RFC 8187: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded.
  return Array.from(new TextEncoder().encode(s), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Headers every piece of served content carries, whatever its type. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
}
