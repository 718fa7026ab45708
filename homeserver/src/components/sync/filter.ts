import { z } from 'zod';
import { validate } from '../../http/body.js';
import { errors } from '../../http/errors.js';
import { roomEventFilterSchema, type RoomEventFilter } from '../rooms/event-filter.js';
import { LruCache } from '../../util/lru.js';
import { pairKey } from '../../util/pair-key.js';

const eventFilter = z.object({
  limit: z.number().int().min(0).optional(),
  types: z.array(z.string()).optional(),
  not_types: z.array(z.string()).optional(),
  senders: z.array(z.string()).optional(),
  not_senders: z.array(z.string()).optional(),
});

/** The spec's Filter, as /sync takes it (inline or by ID). */
export const syncFilterSchema = z.object({
  event_fields: z.array(z.string()).optional(),
  event_format: z.enum(['client', 'federation']).optional(),
  presence: eventFilter.optional(),
  account_data: eventFilter.optional(),
  room: z
    .object({
      rooms: z.array(z.string()).optional(),
      not_rooms: z.array(z.string()).optional(),
      include_leave: z.boolean().optional(),
      timeline: roomEventFilterSchema.optional(),
      state: roomEventFilterSchema.optional(),
      ephemeral: roomEventFilterSchema.optional(),
      account_data: roomEventFilterSchema.optional(),
    })
    .optional(),
});
export type SyncFilter = z.infer<typeof syncFilterSchema>;

/** Timeline events per room when the filter sets no limit (what Synapse does). */
export const DEFAULT_TIMELINE_LIMIT = 10;

/**
 * Inline filters already checked, by their text: a long-polling client sends the same one with
 * every request, and parsing and validating it each time was a visible cost. The filters are
 * shared between requests: nothing may change one.
 */
const inlineFilters = new LruCache<string, SyncFilter>(1000);
const MAX_CACHED_FILTER = 4096;

/**
 * Uploaded filters already read and checked, by user and ID: clients such as Element name their
 * filter by ID on every sync, and an uploaded filter never changes (the API has no way to).
 */
const storedFilters = new LruCache<string, SyncFilter>(10_000);

/**
 * The `filter` parameter: inline JSON (starts with `{`) or the ID of a filter `userId` uploaded.
 */
export async function resolveSyncFilter(
  raw: string | undefined,
  userId: string,
  lookup: (id: string) => Promise<Record<string, unknown> | undefined>,
): Promise<SyncFilter> {
  if (raw === undefined || raw === '') return {};
  let value: unknown;
  if (raw.trimStart().startsWith('{')) {
    const hit = inlineFilters.get(raw);
    if (hit) return hit;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw errors.notJson('filter is not valid JSON');
    }
    const filter = validate(syncFilterSchema, value);
    if (raw.length <= MAX_CACHED_FILTER) inlineFilters.set(raw, filter);
    return filter;
  }
  const key = pairKey(userId, raw);
  const hit = storedFilters.get(key);
  if (hit) return hit;
  value = await lookup(raw);
  if (value === undefined) throw errors.notFound('No such filter');
  const filter = validate(syncFilterSchema, value);
  storedFilters.set(key, filter);
  return filter;
}

export function roomIncluded(filter: SyncFilter, roomId: string): boolean {
  const room = filter.room;
  if (!room) return true;
  if (room.not_rooms?.includes(roomId)) return false;
  if (room.rooms && !room.rooms.includes(roomId)) return false;
  return true;
}

export function timelineFilter(filter: SyncFilter): RoomEventFilter {
  return filter.room?.timeline ?? {};
}

export function typeAllowed(f: { types?: string[] | undefined; not_types?: string[] | undefined } | undefined, type: string): boolean {
  if (!f) return true;
  const match = (p: string) => (p.endsWith('*') ? type.startsWith(p.slice(0, -1)) : p === type);
  if (f.not_types?.some(match)) return false;
  if (f.types && !f.types.some(match)) return false;
  return true;
}
