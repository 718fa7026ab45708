import { MatrixError } from '../../http/errors.js';

/** The media repository's failures, with the codes and statuses the spec gives them. */
export const mediaErrors = {
  notFound: (message = 'Media not found') => new MatrixError(404, 'M_NOT_FOUND', message),
  notYetUploaded: () => new MatrixError(504, 'M_NOT_YET_UPLOADED', 'Content has not yet been uploaded'),
  cannotOverwrite: () => new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded'),
  uploadTooLarge: (limit: number) => new MatrixError(413, 'M_TOO_LARGE', `Cannot upload files larger than ${limit} bytes`),
  tooLargeToThumbnail: (remote: boolean) => new MatrixError(remote ? 502 : 413, 'M_TOO_LARGE', 'Content is too large to thumbnail'),
  remoteTooLarge: () => new MatrixError(502, 'M_TOO_LARGE', 'Remote content is too large to serve'),
  remoteUnavailable: (message = 'Could not fetch the remote media') => new MatrixError(502, 'M_UNKNOWN', message),
  cannotThumbnail: () => new MatrixError(400, 'M_UNKNOWN', 'Cannot generate thumbnails for the requested content'),
  notCreator: () => new MatrixError(403, 'M_FORBIDDEN', 'Only the user who created this media ID may upload to it'),
  tooManyPending: () => new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many pending uploads: finish or let some expire first', { retry_after_ms: 60_000 }),
  previewsDisabled: () => new MatrixError(404, 'M_UNRECOGNIZED', 'URL previews are disabled on this server'),
  previewForbidden: (message: string) => new MatrixError(403, 'M_FORBIDDEN', message),
  previewFailed: (message: string) => new MatrixError(502, 'M_UNKNOWN', message),
};
