import { stateKey } from '../../core/events.js';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { BackgroundTasks } from './background.js';
import type { CurrentState } from './state/current-state.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import type { RoomSummaryRow, SummaryStore } from './storage/summaries.js';

const SUMMARY_TYPES = [
  'm.room.create',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.encryption',
] as const;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The plain-text topic: the `text/plain` entry of `m.topic` (v1.15), else `topic`. */
export function plainTopic(content: JsonObject | undefined): string | null {
  if (!content) return null;
  const rich = content['m.topic'];
  const texts = isJsonObject(rich) ? rich['m.text'] : undefined;
  if (Array.isArray(texts)) {
    for (const t of texts) {
      if (isJsonObject(t) && (t.mimetype === undefined || t.mimetype === 'text/plain') && typeof t.body === 'string') return str(t.body);
    }
  }
  return str(content.topic);
}

/**
 * Keeps `room_summaries` in step with rooms' current state. Refreshes run after commits, in the
 * background; a crash between a commit and its refresh leaves a stale row that `repair` (at start)
 * finds by its state group.
 */
export class RoomSummaries {
  constructor(
    private readonly store: SummaryStore,
    private readonly current: CurrentState,
    private readonly events: EventStore,
    private readonly tasks: BackgroundTasks,
    private readonly serverName: string,
  ) {}

  /** Bus listener: state changes (memberships included) change what a summary shows. */
  onPersisted(events: readonly StoredEvent[]): void {
    const rooms = new Set(events.filter((e) => e.pdu.state_key !== undefined).map((e) => e.roomId));
    for (const roomId of rooms) this.tasks.schedule(`summary:${roomId}`, () => this.refresh(roomId));
  }

  async refresh(roomId: string): Promise<void> {
    const info = await this.current.info(roomId);
    if (!info) return;
    const ids = SUMMARY_TYPES.map((t) => info.state.get(stateKey(t, ''))).filter((id): id is string => id !== undefined);
    const loaded = await this.events.getMany(ids);
    const content = (type: string): JsonObject | undefined => {
      const id = info.state.get(stateKey(type, ''));
      return id ? loaded.get(id)?.pdu.content : undefined;
    };
    const counts = await this.store.joinedCounts(roomId, this.serverName);
    const create = content('m.room.create');
    const row: RoomSummaryRow = {
      room_id: roomId,
      state_group: info.stateGroup,
      name: str(content('m.room.name')?.name),
      topic: plainTopic(content('m.room.topic')),
      avatar_url: str(content('m.room.avatar')?.url),
      canonical_alias: str(content('m.room.canonical_alias')?.alias),
      join_rule: str(content('m.room.join_rules')?.join_rule),
      history_visibility: str(content('m.room.history_visibility')?.history_visibility),
      guest_access: str(content('m.room.guest_access')?.guest_access),
      encryption: str(content('m.room.encryption')?.algorithm),
      room_type: str(create?.type),
      federatable: create?.['m.federate'] !== false,
      joined_members: counts.all,
      joined_local_members: counts.local,
      state_events: info.state.size,
    };
    await this.store.upsert(row);
  }

  /** Rebuilds every missing or stale summary (rooms made before this table, or a crash). */
  async repair(): Promise<void> {
    // A room written to meanwhile turns stale again; the bus refreshes those, so each room is
    // rebuilt once here and the loop ends when a batch brings nothing new.
    const done = new Set<string>();
    for (;;) {
      const fresh = (await this.store.stale(done.size + 200)).filter((id) => !done.has(id));
      if (fresh.length === 0) return;
      for (const roomId of fresh) {
        done.add(roomId);
        await this.refresh(roomId);
      }
    }
  }
}
