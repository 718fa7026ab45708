import type { Context } from 'koa';
import { MatrixError } from '../../../http/errors.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { mediaErrors } from '../errors.js';
import { securityHeaders, servedContentType } from './headers.js';
import { parseRange } from './range.js';

export interface BlobResponse {
  key: string;
  size: number;
  contentType: string;
  contentDisposition: string;
  /** A strong validator: the bytes behind a key never change. */
  etag: string;
  cacheControl: string;
}

/**
 * Streams a stored blob as the response: conditional requests (304), single byte ranges (206,
 * 416), and the headers that keep served content from acting as a web page.
 */
export async function sendBlob(ctx: Context, blobs: BlobStore, r: BlobResponse): Promise<void> {
  const etag = `"${r.etag}"`;
  const common = {
    ...securityHeaders(),
    'Cache-Control': r.cacheControl,
    ETag: etag,
    'Accept-Ranges': 'bytes',
  };
  ctx.set(common);
  const inm = ctx.get('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    ctx.status = 304;
    return;
  }
  // A Range is honoured only if the client's copy is this one (If-Range), or it has none.
  const ifRange = ctx.get('if-range');
  const range = !ifRange || ifRange === etag ? parseRange(ctx.get('range') || undefined, r.size) : undefined;
  if (range === 'unsatisfiable') {
    throw new MatrixError(416, 'M_UNKNOWN', 'Requested range not satisfiable', {}, { 'Content-Range': `bytes */${r.size}` });
  }
  const stream = await blobs.read(r.key, range);
  if (!stream) throw mediaErrors.notFound('The media file is missing from storage');
  ctx.set('Content-Type', servedContentType(r.contentType));
  ctx.set('Content-Disposition', r.contentDisposition);
  ctx.body = stream;
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${r.size}`);
    ctx.length = range.end - range.start + 1;
  } else {
    ctx.status = 200;
    ctx.length = r.size;
  }
}
