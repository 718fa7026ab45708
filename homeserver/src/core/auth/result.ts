import type { RoomEvent } from '../events.js';

/** The state the rules read: the event's auth events, the state before it, or current state. */
export interface AuthState {
  get(type: string, stateKey: string): RoomEvent | undefined;
}

export type AuthResult = { ok: true } | { ok: false; reason: string };

export const ALLOW: AuthResult = Object.freeze({ ok: true });

export function reject(reason: string): AuthResult {
  return { ok: false, reason };
}

/**
 * Events that were themselves rejected still exist in the DAG and may be cited as auth events;
 * callers mark them with `rejected: true` so the rules can refuse to build on them.
 */
export type MaybeRejectedEvent = RoomEvent & { rejected?: boolean };

export function isRejected(event: RoomEvent): boolean {
  return (event as MaybeRejectedEvent).rejected === true;
}

export interface AuthOptions {
  /**
   * Whether `event` is validly signed by `serverName` (for `join_authorised_via_users_server`).
   * By default the rules look for an entry for the server in the event's `signatures`, trusting
   * the signature check on receipt to have verified it; events that carry no `signatures` at all
   * (stripped copies, test fixtures) are taken as verified upstream.
   */
  isSignedBy?: (event: RoomEvent, serverName: string) => boolean;
}

export function defaultIsSignedBy(event: RoomEvent, serverName: string): boolean {
  if (!('signatures' in event)) return true;
  const signatures = (event as { signatures?: unknown }).signatures;
  if (typeof signatures !== 'object' || signatures === null) return false;
  const entry = (signatures as Record<string, unknown>)[serverName];
  return typeof entry === 'object' && entry !== null && Object.keys(entry).length > 0;
}
