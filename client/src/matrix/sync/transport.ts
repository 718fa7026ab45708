import type { SyncResponse } from '../types';

/**
 * One way of receiving sync responses. `run` delivers responses in order, waiting for each
 * `onSync` to finish (the caller persists before it renders, and must not be overtaken), until
 * the signal aborts (resolves) or the connection fails (rejects).
 */
export interface SyncTransport {
  readonly kind: 'websocket' | 'longpoll';
  run(since: string | undefined, onSync: (res: SyncResponse) => Promise<void>, signal: AbortSignal): Promise<void>;
}

/** What we ask sync for: a modest first page per room, no lazy-loaded members (we list them all). */
export const SYNC_FILTER = { room: { timeline: { limit: 30 }, state: { lazy_load_members: false } } } as const;

/** Raised by a transport that never worked at all, so the loop falls back to another. */
export class TransportUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportUnavailable';
  }
}
