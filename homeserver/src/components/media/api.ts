import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FederationClient } from '../federation/api.js';

/** A media item's metadata, for components that refer to media (avatars, room images). */
export interface MediaInfo {
  serverName: string;
  mediaId: string;
  contentType: string;
  size: number;
  uploadName: string | null;
  userId: string | null;
  createdTs: number;
  quarantined: boolean;
}

/** What other components may ask of the media component. */
export interface MediaApi {
  /** Local or cached remote media; undefined when unknown or not uploaded yet. */
  getMediaInfo(serverName: string, mediaId: string): Promise<MediaInfo | undefined>;
}

/**
 * Verifies an inbound federation request (the X-Matrix Authorization header, signed by the
 * origin's key) and answers the origin server's name; throws a MatrixError (401 M_UNAUTHORIZED,
 * 403 M_FORBIDDEN) otherwise. The federation component provides it (its
 * `FederationApi.authenticateRequest` has this shape); until it is passed, the federation media
 * endpoints are not mounted.
 */
export interface FederationRequestAuth {
  authenticate(request: { method: string; uri: string; headers: IncomingHttpHeaders }): Promise<{ origin: string }>;
}

/** Remote media as its origin server sent it. */
export interface RemoteMedia {
  contentType: string | undefined;
  /** The `filename` of the origin's Content-Disposition, if any. */
  filename: string | undefined;
  body: Readable | AsyncIterable<Uint8Array>;
}

export type RemoteMediaFailure = 'not_found' | 'too_large' | 'unavailable';

/** Thrown by a RemoteMediaFetcher; the media component maps it to 404 / 502 M_TOO_LARGE / 502. */
export class RemoteMediaError extends Error {
  constructor(
    readonly kind: RemoteMediaFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteMediaError';
  }
}

/**
 * Downloads media from the server it lives on (federation `GET /_matrix/federation/v1/media/download`,
 * multipart answer, `Location` redirects followed). The media component caches what it gets and
 * enforces the size limit while storing; the fetcher should also stop reading past `maxBytes`.
 * The media component builds one on federation's client (remote/federation-fetcher.ts) unless one
 * is passed; with neither, remote media answers 404.
 */
export interface RemoteMediaFetcher {
  fetch(serverName: string, mediaId: string, options: { maxBytes: number; timeoutMs: number; signal: AbortSignal }): Promise<RemoteMedia>;
}

/** What the composition root may hand the media component from federation (and tests). */
export interface MediaHooks {
  federationAuth?: FederationRequestAuth | undefined;
  remoteFetcher?: RemoteMediaFetcher | undefined;
  /** Signed requests to other servers: remote media is fetched through it when no `remoteFetcher` is given. */
  federationClient?: FederationClient | undefined;
}

/** The rooms component's view of media: what the room admin endpoints quarantine and list. */
export interface RoomMediaSource {
  /** The distinct mxc:// URIs the room's events refer to; throws 404 M_NOT_FOUND for an unknown room. */
  mediaInRoom(roomId: string): Promise<string[]>;
}
