import type { Context } from 'koa';
import { contentKey, type BlobStore } from '../blobs/blob-store.js';
import type { ServableMedia } from '../lookup.js';
import type { ThumbnailChoice } from '../thumbnails/thumbnailer.js';
import { contentDisposition, isInlineSafe } from './headers.js';
import { sendBlob } from './respond.js';

/**
 * A download: the uploaded bytes with the uploaded type, `inline` only for the spec's safe types
 * and `attachment` otherwise, named by the path's file name or else the upload's.
 */
export function sendMedia(ctx: Context, blobs: BlobStore, media: ServableMedia, fileName: string | undefined, cacheControl: string): Promise<void> {
  return sendBlob(ctx, blobs, {
    key: contentKey(media.sha256),
    size: media.size,
    contentType: media.content_type,
    contentDisposition: contentDisposition(isInlineSafe(media.content_type) ? 'inline' : 'attachment', fileName ?? media.upload_name),
    etag: media.sha256,
    cacheControl,
  });
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif' };

/** A thumbnail, always `inline` (the spec requires it; every type we make is an image). */
export function sendThumbnail(ctx: Context, blobs: BlobStore, media: ServableMedia, choice: ThumbnailChoice, cacheControl: string): Promise<void> {
  const disposition = contentDisposition('inline', `thumbnail.${EXTENSIONS[choice.contentType] ?? 'bin'}`);
  if (choice.kind === 'original') {
    return sendBlob(ctx, blobs, { key: contentKey(media.sha256), size: media.size, contentType: choice.contentType, contentDisposition: disposition, etag: media.sha256, cacheControl });
  }
  return sendBlob(ctx, blobs, {
    key: choice.key,
    size: choice.size,
    contentType: choice.contentType,
    contentDisposition: disposition,
    etag: choice.key.replace(/[^A-Za-z0-9._-]/g, '-'),
    cacheControl,
  });
}
