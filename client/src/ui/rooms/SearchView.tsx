import { A, useSearchParams } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { isEncrypted, memberName, roomName } from '../../matrix/room-info';
import { PageHeader } from '../common/PageHeader';
import { shortWhen } from '../common/format';
import { createMessageSearch } from '../common/message-search';
import { useClient } from '../context';
import { Highlighted } from '../room/Highlighted';

/**
 * Message search across rooms: the server searches unencrypted messages, a page at a time ("Load
 * more results"); encrypted messages are searched on this device, over the history it holds
 * ("Search older encrypted messages" pages more of it in).
 */
export function SearchView() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const q = (): string => (typeof params.q === 'string' ? params.q : '');
  const [loading, setLoading] = createSignal(false);
  const search = createMessageSearch(client, q);
  /** Rooms this device searches itself: the encrypted ones (all, when the server could not search). */
  const localRooms = (): string[] => Object.values(client.sync.rooms).filter((r) => search.localOnly() || isEncrypted(r)).map((r) => r.roomId);

  const olderOnDevice = async (): Promise<void> => {
    setLoading(true);
    try {
      await Promise.all(localRooms().filter((id) => client.canPaginate(id)).map((id) => client.paginate(id).catch(() => undefined)));
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
          <p class="hint" aria-live="polite">
            {!q().trim() ? 'Encrypted messages are searched on this device, over the history it has loaded.' : search.searching() && search.results().length === 0 ? 'Searching…' : `${search.results().length} found.`}{' '}
            <Show when={localRooms().some((id) => client.canPaginate(id))}>
              <button onClick={() => void olderOnDevice()} disabled={loading()}>
                {loading() ? 'Loading…' : search.localOnly() ? 'Search older messages' : 'Search older encrypted messages'}
              </button>
            </Show>
          </p>
          <Show when={search.error()}>{(e) => <p class="hint">The server could not search ({e()}); only the messages on this device were searched.</p>}</Show>
          <For each={search.results()}>
            {(r) => {
              const room = (): (typeof client.sync.rooms)[string] | undefined => client.sync.rooms[r.roomId];
              return (
                <Show when={room()}>
                  {(rm) => (
                    <A class="search-result" href={`/room/${encodeURIComponent(r.roomId)}?event=${encodeURIComponent(r.event.event_id)}`}>
                      <div class="hint">
                        {roomName(rm(), client.userId)} · {memberName(rm(), r.event.sender)} · {shortWhen(r.event.origin_server_ts)}
                      </div>
                      <Highlighted text={String(r.event.content.body)} term={q()} words={search.highlights()} />
                    </A>
                  )}
                </Show>
              );
            }}
          </For>
          <Show when={search.hasMore()}>
            <button onClick={() => void search.more()} disabled={search.searching()}>
              {search.searching() ? 'Loading…' : 'Load more results'}
            </button>
          </Show>
        </section>
      </div>
    </>
  );
}
