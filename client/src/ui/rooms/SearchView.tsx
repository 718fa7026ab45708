import { A, useSearchParams } from '@solidjs/router';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { memberName, roomName } from '../../matrix/room-info';
import { PageHeader } from '../common/PageHeader';
import { shortWhen } from '../common/format';
import { useClient } from '../context';
import { Highlighted } from '../room/Highlighted';

/**
 * Message search across rooms. Client-side over what this device holds (the server has no search
 * endpoint yet); "Search older messages" pages history in for every joined room.
 */
export function SearchView() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const q = (): string => (typeof params.q === 'string' ? params.q : '');
  const [loading, setLoading] = createSignal(false);
  const results = createMemo(() => {
    void Object.values(client.sync.rooms).map((r) => r.timeline.length);
    return client.search(q());
  });

  const loadMore = async (): Promise<void> => {
    setLoading(true);
    try {
      await Promise.all(Object.keys(client.sync.rooms).filter((id) => client.canPaginate(id)).map((id) => client.paginate(id).catch(() => undefined)));
    } finally {
      setLoading(false);
    }
  };

  return (
    <>
      <PageHeader title="Search messages" />
      <div class="page">
        <section>
          <label for="search-all">Search all conversations</label>
          <input id="search-all" type="search" value={q()} onInput={(e) => setParams({ q: e.currentTarget.value }, { replace: true })} autofocus />
          <p class="hint">
            {q() ? `${results().length} found in the messages on this device.` : 'Searches the messages this device has loaded.'}{' '}
            <button onClick={() => void loadMore()} disabled={loading()}>
              {loading() ? 'Loading…' : 'Search older messages'}
            </button>
          </p>
          <For each={results()}>
            {(r) => {
              const room = (): (typeof client.sync.rooms)[string] | undefined => client.sync.rooms[r.roomId];
              return (
                <Show when={room()}>
                  {(rm) => (
                    <A class="search-result" href={`/room/${encodeURIComponent(r.roomId)}?event=${encodeURIComponent(r.event.event_id)}`}>
                      <div class="hint">
                        {roomName(rm(), client.userId)} · {memberName(rm(), r.event.sender)} · {shortWhen(r.event.origin_server_ts)}
                      </div>
                      <Highlighted text={String(r.event.content.body)} term={q()} />
                    </A>
                  )}
                </Show>
              );
            }}
          </For>
        </section>
      </div>
    </>
  );
}
