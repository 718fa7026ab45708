import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import type { Requester } from '../../http/auth.js';
import { errors } from '../../http/errors.js';
import type { CurrentState } from './state/current-state.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import type { TimelineStore } from './storage/timeline.js';
import { HistoryVisibility } from './visibility.js';

const PAGE = 50;
/** Hidden events skipped before giving up: the answer should be near the time asked for. */
const MAX_PAGES = 10;

/** GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event */
export class TimestampLookup {
  constructor(
    private readonly db: Knex,
    private readonly store: TimelineStore,
    private readonly events: EventStore,
    private readonly current: CurrentState,
  ) {}

  async closest(requester: Requester, roomId: string, ts: number, dir: 'f' | 'b'): Promise<JsonObject> {
    if (!(await this.current.info(roomId))) throw errors.forbidden('You are not allowed to view this room.');
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if ((await this.current.membership(roomId, requester.userId)) === undefined && !vis.canPeek()) {
      throw errors.forbidden('You are not allowed to view this room.');
    }
    return this.search(roomId, ts, dir, (e) => vis.canSee(e));
  }

  /** For another server in the room (federation `timestamp_to_event`): any event of the timeline. */
  async closestForServer(roomId: string, ts: number, dir: 'f' | 'b'): Promise<JsonObject> {
    if (!(await this.current.info(roomId))) throw errors.notFound('This server is not in the room');
    return this.search(roomId, ts, dir, () => true);
  }

  private async search(roomId: string, ts: number, dir: 'f' | 'b', visible: (e: StoredEvent) => boolean): Promise<JsonObject> {
    let after: { ts: number; stream: number } | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const rows = await this.store.nearest(roomId, ts, dir, PAGE, after);
      const loaded = await this.events.getMany(rows.map((r) => r.event_id));
      for (const row of rows) {
        const e = loaded.get(row.event_id);
        if (e && visible(e)) return { event_id: e.eventId, origin_server_ts: e.pdu.origin_server_ts };
        after = { ts: row.origin_server_ts, stream: row.stream_ordering };
      }
      if (rows.length < PAGE) break;
    }
    throw errors.notFound(`Unable to find event from ${ts} in ${dir === 'f' ? 'forward' : 'backward'} direction`);
  }
}
