import { createEffect, createMemo, createResource, createSignal, on, onMount, Show } from 'solid-js';
import type { RoomData } from '../../matrix/sync/accumulator';
import { buildTimeline, type EventItem } from '../../matrix/timeline-view';
import type { MatrixEvent } from '../../matrix/types';
import { Icon } from '../common/Icon';
import { useClient } from '../context';
import { Composer, type ComposerMode } from './Composer';
import { type TileActions } from './EventTile';
import { TimelineRows } from './TimelineRows';

/**
 * One thread beside the room: its root, every reply (fetched from the server, then kept up to date
 * by sync), and a composer whose messages carry the thread relation.
 */
export function ThreadPanel(props: { room: RoomData; rootId: string; onClose: () => void; onError: (err: unknown) => void }) {
  const client = useClient();
  const roomId = props.room.roomId;
  let scroller!: HTMLDivElement;
  const [mode, setMode] = createSignal<ComposerMode>();
  const [fetched] = createResource(
    () => props.rootId,
    (id): Promise<MatrixEvent[]> =>
      client.loadThread(roomId, id).catch((err: unknown) => {
        props.onError(err);
        return [];
      }),
  );
  const items = createMemo(() => buildTimeline(props.room, client.userId, client.pending[roomId] ?? [], client.decrypted, { thread: props.rootId, extra: fetched() ?? [] }));
  const events = (): EventItem[] => items().filter((i): i is EventItem => i.kind === 'event');
  const latest = (): string | undefined => events().filter((i) => !i.pending).at(-1)?.event.event_id;

  const toBottom = (): void => {
    scroller.scrollTop = scroller.scrollHeight;
  };
  onMount(() => requestAnimationFrame(toBottom));
  createEffect(on(() => items().length, () => requestAnimationFrame(toBottom), { defer: true }));

  const actions: TileActions = {
    reply: (item) => setMode({ kind: 'reply', item }),
    edit: (item) => setMode({ kind: 'edit', item }),
    jumpTo: (eventId) => scroller.querySelector(`[data-event-id="${CSS.escape(eventId)}"]`)?.scrollIntoView({ block: 'center' }),
    onError: props.onError,
  };
  const editLast = (): void => {
    const last = events().filter((i) => i.editable).at(-1);
    if (last) setMode({ kind: 'edit', item: last });
  };

  return (
    <aside class="side-panel thread" aria-label="Thread">
      <div class="row">
        <h3 class="grow">Thread</h3>
        <button class="icon" aria-label="Close thread" onClick={() => props.onClose()}>
          <Icon name="close" />
        </button>
      </div>
      <div class="timeline" ref={scroller} role="log" aria-label="Thread messages" tabindex="0">
        <Show when={fetched.loading}>
          <div class="history-status">Loading the thread…</div>
        </Show>
        <TimelineRows items={items()} room={props.room} actions={actions} />
      </div>
      <Composer room={props.room} mode={mode()} setMode={setMode} onError={props.onError} onEditLast={editLast} thread={{ rootId: props.rootId, latest }} />
    </aside>
  );
}
