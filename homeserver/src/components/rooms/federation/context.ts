import type { Knex } from 'knex';
import type { Logger } from '../../../log/logger.js';
import type { StreamIdGenerator } from '../../../streams/stream-id.js';
import type { FederationApi } from '../../federation/api.js';
import type { ServerSigningKey } from '../../federation/signing-key.js';
import type { RoomEventBus } from '../pipeline/bus.js';
import type { RoomInfos } from '../pipeline/room-info.js';
import type { RoomWriter } from '../pipeline/writer.js';
import type { StateGroups } from '../state/state-groups.js';
import type { EventStore } from '../storage/events.js';
import type { RoomHosts } from '../hosts.js';

/**
 * Positions for events that are not news: outliers and backfilled history. They count down from
 * below the lowest position in use, so sync (which reads forward from its token) never sees them
 * while /messages, which orders by depth first, places them where they belong.
 */
export class HistoricIds {
  private next: number;

  constructor(lowest: number) {
    this.next = Math.min(0, lowest) - 1;
  }

  static async load(db: Knex): Promise<HistoricIds> {
    const row = (await db('events').min({ m: 'stream_ordering' }).first()) as { m: number | string | null } | undefined;
    return new HistoricIds(row?.m === null || row?.m === undefined ? 0 : Number(row.m));
  }

  take(count: number): number[] {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(this.next--);
    return ids;
  }
}

/** What the room layer of federation works with: the rooms component's internals plus federation's transport. */
export interface RoomFederationContext {
  db: Knex;
  log: Logger;
  serverName: string;
  signingKey: ServerSigningKey;
  federation: FederationApi;
  events: EventStore;
  groups: StateGroups;
  infos: RoomInfos;
  stream: StreamIdGenerator;
  historic: HistoricIds;
  bus: RoomEventBus;
  writer: RoomWriter;
  hosts: RoomHosts;
}
