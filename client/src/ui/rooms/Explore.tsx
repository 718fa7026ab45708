import { useNavigate } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import type { PublicRoom, PublicRoomsResponse } from '../../matrix/types';
import { Avatar } from '../common/Avatar';
import { PageHeader } from '../common/PageHeader';
import { useClient } from '../context';

/**
 * The server's public room directory: search it, join open rooms, ask to join (knock) rooms that
 * let people in on request.
 */
export function Explore() {
  const client = useClient();
  const navigate = useNavigate();
  const [term, setTerm] = createSignal('');
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal<string>();
  const [page, { mutate }] = createResource(
    () => term().trim(),
    async (t): Promise<PublicRoomsResponse> => {
      await new Promise((r) => setTimeout(r, t ? 250 : 0));
      if (t !== term().trim()) return { chunk: [] };
      try {
        return await client.api.publicRooms({ term: t });
      } catch (err) {
        setError(describeError(err));
        return { chunk: [] };
      }
    },
  );
  const more = async (): Promise<void> => {
    const since = page()?.next_batch;
    if (!since) return;
    const next = await client.api.publicRooms({ term: term().trim(), since });
    mutate({ ...next, chunk: [...(page()?.chunk ?? []), ...next.chunk] });
  };

  const act = async (room: PublicRoom, fn: () => Promise<void>, open: boolean): Promise<void> => {
    setBusy(room.room_id);
    setError('');
    try {
      await fn();
      if (open) navigate(`/room/${encodeURIComponent(room.room_id)}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(undefined);
    }
  };

  const membership = (roomId: string): string | undefined => client.sync.rooms[roomId]?.membership;
  const label = (r: PublicRoom): string => r.name ?? r.canonical_alias ?? r.room_id;

  return (
    <>
      <PageHeader title="Explore public rooms" />
      <div class="page">
        <section>
          <label for="explore-search">Search rooms on this server</label>
          <input id="explore-search" type="search" autocomplete="off" value={term()} onInput={(e) => setTerm(e.currentTarget.value)} placeholder="Name or topic" autofocus />
          <Show when={error()}>
            <p class="error" role="alert">{error()}</p>
          </Show>
          <ul class="list" aria-label="Public rooms" aria-busy={page.loading}>
            <For each={page()?.chunk} fallback={<li class="hint">{page.loading ? 'Loading…' : term() ? 'No room matches.' : 'No public rooms yet.'}</li>}>
              {(r) => (
                <li>
                  <Avatar id={r.room_id} name={label(r)} url={r.avatar_url} size={40} />
                  <div class="grow">
                    <div style={{ 'font-weight': 600 }}>{label(r)}</div>
                    <div class="hint">
                      {r.num_joined_members} {r.num_joined_members === 1 ? 'member' : 'members'}
                      {r.join_rule === 'knock' ? ' · ask to join' : ''}
                      {r.topic ? ` · ${r.topic}` : ''}
                    </div>
                  </div>
                  <Show
                    when={membership(r.room_id) !== 'join'}
                    fallback={
                      <button onClick={() => navigate(`/room/${encodeURIComponent(r.room_id)}`)} aria-label={`Open ${label(r)}`}>
                        Open
                      </button>
                    }
                  >
                    <Show
                      when={r.join_rule === 'knock' && membership(r.room_id) !== 'invite'}
                      fallback={
                        <button class="primary" disabled={busy() === r.room_id} onClick={() => void act(r, () => client.joinPublic(r.room_id), true)} aria-label={`Join ${label(r)}`}>
                          Join
                        </button>
                      }
                    >
                      <Show when={membership(r.room_id) !== 'knock'} fallback={<span class="hint">Request sent</span>}>
                        <button class="primary" disabled={busy() === r.room_id} onClick={() => void act(r, () => client.knock(r.room_id), false)} aria-label={`Ask to join ${label(r)}`}>
                          Ask to join
                        </button>
                      </Show>
                    </Show>
                  </Show>
                </li>
              )}
            </For>
          </ul>
          <Show when={page()?.next_batch}>
            <button onClick={() => void more().catch((err: unknown) => setError(describeError(err)))}>Show more</button>
          </Show>
        </section>
      </div>
    </>
  );
}
