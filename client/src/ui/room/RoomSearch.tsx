import { useNavigate } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { memberName } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import { shortWhen } from '../common/format';
import { createMessageSearch } from '../common/message-search';
import { useClient } from '../context';
import { Highlighted } from './Highlighted';
import { Icon } from '../common/Icon';

/**
 * Search within one room: the server searches an unencrypted room's whole history, a page at a
 * time; an encrypted room is searched over its history on this device, paged in on request.
 */
export function RoomSearch(props: { room: RoomData; onClose: () => void }) {
  const client = useClient();
  const navigate = useNavigate();
  const [q, setQ] = createSignal('');
  const [loading, setLoading] = createSignal(false);
  const search = createMessageSearch(client, q, props.room.roomId);
  const olderOnDevice = async (): Promise<void> => {
    setLoading(true);
    try {
      for (let i = 0; i < 5 && client.canPaginate(props.room.roomId); i++) await client.paginate(props.room.roomId);
    } finally {
      setLoading(false);
    }
  };
  return (
    <aside class="side-panel" aria-label="Search in room">
      <div class="row">
        <h3 class="grow">Search</h3>
        <button class="icon" aria-label="Close search" onClick={() => props.onClose()}>
          <Icon name="close" />
        </button>
      </div>
      <label class="sr-only" for="room-search">Search messages in this room</label>
      <input id="room-search" type="search" placeholder="Search this room" value={q()} onInput={(e) => setQ(e.currentTarget.value)} autofocus />
      <p class="hint" aria-live="polite">
        {search.searching() && search.results().length === 0 ? 'Searching…' : `${search.results().length} found.`}{' '}
        <Show when={search.localOnly()}>
          <button onClick={() => void olderOnDevice()} disabled={loading() || !client.canPaginate(props.room.roomId)}>
            {loading() ? 'Loading…' : client.canPaginate(props.room.roomId) ? 'Search older messages' : 'All history searched'}
          </button>
        </Show>
      </p>
      <Show when={search.error()}>{(e) => <p class="hint">The server could not search ({e()}); only the messages on this device were searched.</p>}</Show>
      <For each={search.results()}>
        {(r) => (
          <button
            class="search-result icon"
            style={{ width: '100%', 'text-align': 'left' }}
            onClick={() => navigate(`/room/${encodeURIComponent(props.room.roomId)}?event=${encodeURIComponent(r.event.event_id)}`)}
          >
            <div class="hint">
              {memberName(props.room, r.event.sender)} · {shortWhen(r.event.origin_server_ts)}
            </div>
            <Highlighted text={String(r.event.content.body)} term={q()} words={search.highlights()} />
          </button>
        )}
      </For>
      <Show when={search.hasMore()}>
        <button onClick={() => void search.more()} disabled={search.searching()}>
          {search.searching() ? 'Loading…' : 'Load more results'}
        </button>
      </Show>
    </aside>
  );
}
