import { useNavigate } from '@solidjs/router';
import { createMemo, createSignal, For } from 'solid-js';
import { memberName } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import { shortWhen } from '../common/format';
import { useClient } from '../context';
import { Highlighted } from './Highlighted';
import { Icon } from '../common/Icon';

/** Search within one room, over its loaded history; more history is paged in on request. */
export function RoomSearch(props: { room: RoomData; onClose: () => void }) {
  const client = useClient();
  const navigate = useNavigate();
  const [q, setQ] = createSignal('');
  const [loading, setLoading] = createSignal(false);
  const results = createMemo(() => {
    void props.room.timeline.length;
    return client.search(q(), props.room.roomId);
  });
  const more = async (): Promise<void> => {
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
      <p class="hint">
        {results().length} found.{' '}
        <button onClick={() => void more()} disabled={loading() || !client.canPaginate(props.room.roomId)}>
          {loading() ? 'Loading…' : client.canPaginate(props.room.roomId) ? 'Search older messages' : 'All history searched'}
        </button>
      </p>
      <For each={results()}>
        {(r) => (
          <button
            class="search-result icon"
            style={{ width: '100%', 'text-align': 'left' }}
            onClick={() => navigate(`/room/${encodeURIComponent(props.room.roomId)}?event=${encodeURIComponent(r.event.event_id)}`)}
          >
            <div class="hint">
              {memberName(props.room, r.event.sender)} · {shortWhen(r.event.origin_server_ts)}
            </div>
            <Highlighted text={String(r.event.content.body)} term={q()} />
          </button>
        )}
      </For>
    </aside>
  );
}
