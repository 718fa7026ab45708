import type { Knex } from 'knex';
import { errors } from '../../http/errors.js';

/** Events parsed per query: the scan holds at most this many events' JSON at once. */
const BATCH = 1000;

/**
 * The distinct mxc:// URIs a room's events refer to in `content.url` and `content.info.thumbnail_url`
 * (images, files, stickers, room avatars), for the media admin API's room listing and quarantine,
 * as Synapse finds them. Outliers are not in the room's timeline and are left out; redacted events
 * count while their original JSON is kept, so media a moderator removed can still be quarantined.
 * The scan goes through the room in stream order, a batch at a time; only events whose JSON could
 * hold such a URI are parsed (an escaped `mxc` would be hidden from a plain text match, so any
 * event with a `\u` escape is parsed too). 404 M_NOT_FOUND for a room this server does not know.
 */
export async function mediaInRoom(db: Knex, roomId: string): Promise<string[]> {
  const room = await db('rooms').where({ room_id: roomId }).first('room_id');
  if (!room) throw errors.notFound('Unknown room');
  const found = new Set<string>();
  let after = -Infinity;
  for (;;) {
    const q = db('events')
      .where({ room_id: roomId, outlier: false })
      .whereRaw('(strpos(json, ?) > 0 or strpos(json, ?) > 0)', ['mxc', '\\u'])
      .orderBy('stream_ordering', 'asc')
      .limit(BATCH)
      .select('stream_ordering', 'json');
    if (after !== -Infinity) q.where('stream_ordering', '>', after);
    const rows = (await q) as Array<{ stream_ordering: number | string; json: string }>;
    for (const row of rows) {
      for (const uri of mediaUris(row.json)) found.add(uri);
    }
    if (rows.length < BATCH) break;
    after = Number(rows[rows.length - 1]!.stream_ordering);
  }
  return [...found];
}

function mediaUris(json: string): string[] {
  let content: unknown;
  try {
    content = (JSON.parse(json) as { content?: unknown }).content;
  } catch {
    return [];
  }
  if (typeof content !== 'object' || content === null) return [];
  const c = content as { url?: unknown; info?: { thumbnail_url?: unknown } | null };
  const info = typeof c.info === 'object' && c.info !== null ? c.info : undefined;
  return [c.url, info?.thumbnail_url].filter((u): u is string => typeof u === 'string' && u.startsWith('mxc://'));
}
