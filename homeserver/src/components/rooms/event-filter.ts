import { z } from 'zod';
import { validate } from '../../http/body.js';
import type { StoredEvent } from './storage/events.js';

/** The spec's RoomEventFilter, as /messages and /context take it. */
export const roomEventFilterSchema = z.object({
  limit: z.number().int().min(0).optional(),
  types: z.array(z.string()).optional(),
  not_types: z.array(z.string()).optional(),
  senders: z.array(z.string()).optional(),
  not_senders: z.array(z.string()).optional(),
  rooms: z.array(z.string()).optional(),
  not_rooms: z.array(z.string()).optional(),
  contains_url: z.boolean().optional(),
  lazy_load_members: z.boolean().optional(),
  include_redundant_members: z.boolean().optional(),
  unread_thread_notifications: z.boolean().optional(),
});
export type RoomEventFilter = z.infer<typeof roomEventFilterSchema>;

export function parseRoomEventFilter(value: unknown): RoomEventFilter {
  if (value === undefined) return {};
  return validate(roomEventFilterSchema, value);
}

/** `*` is a wildcard in type filters (`m.room.*`). */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(type);
}

export function matchesFilter(filter: RoomEventFilter, e: StoredEvent): boolean {
  const { type, sender } = e.pdu;
  if (filter.not_types?.some((p) => typeMatches(p, type))) return false;
  if (filter.types && !filter.types.some((p) => typeMatches(p, type))) return false;
  if (filter.not_senders?.includes(sender)) return false;
  if (filter.senders && !filter.senders.includes(sender)) return false;
  if (filter.not_rooms?.includes(e.roomId)) return false;
  if (filter.rooms && !filter.rooms.includes(e.roomId)) return false;
  if (filter.contains_url !== undefined) {
    const has = typeof e.pdu.content.url === 'string';
    if (has !== filter.contains_url) return false;
  }
  return true;
}
