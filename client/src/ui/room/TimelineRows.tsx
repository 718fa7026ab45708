import { createMemo, For, Show } from 'solid-js';
import type { RoomData } from '../../matrix/sync/accumulator';
import type { DayItem, EventItem, TimelineItem } from '../../matrix/timeline-view';
import { dayLabel } from '../common/format';
import { EventTile, type TileActions } from './EventTile';

const keyOf = (i: TimelineItem): string => (i.kind === 'day' ? `day:${i.key}` : i.event.event_id);

/**
 * The rows of a timeline: day separators and event tiles. Rows are keyed by event ID (strings
 * compare by value), so a sync that rebuilds the items updates rows in place instead of
 * re-creating them (focus, open pickers and scroll survive).
 */
export function TimelineRows(props: { items: TimelineItem[]; room: RoomData; actions: TileActions; highlighted?: (key: string) => boolean }) {
  const byKey = createMemo(() => new Map(props.items.map((i) => [keyOf(i), i])));
  const keys = createMemo(() => props.items.map(keyOf));
  return (
    <ol>
      <For each={keys()}>
        {(key) => {
          const item = (): TimelineItem | undefined => byKey().get(key);
          return (
            <Show when={item()}>
              {(it) =>
                it().kind === 'day' ? (
                  <li class="day" role="separator">
                    {dayLabel((it() as DayItem).ts)}
                  </li>
                ) : (
                  <EventTile item={it() as EventItem} room={props.room} actions={props.actions} highlighted={props.highlighted?.(key) ?? false} />
                )
              }
            </Show>
          );
        }}
      </For>
    </ol>
  );
}
