import { useNavigate } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import type { DirectoryUser } from '../../matrix/types';
import { Avatar } from '../common/Avatar';
import { PageHeader } from '../common/PageHeader';
import { useClient } from '../context';

/** Start a direct chat: search the user directory (or type a full Matrix ID). */
export function NewDm() {
  const client = useClient();
  const navigate = useNavigate();
  const [term, setTerm] = createSignal('');
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [results] = createResource(
    () => term().trim(),
    async (t): Promise<DirectoryUser[]> => {
      if (!t) return [];
      await new Promise((r) => setTimeout(r, 200));
      if (t !== term().trim()) return [];
      const res = await client.api.searchUsers(t, 20).catch(() => ({ results: [] as DirectoryUser[] }));
      const list = res.results.filter((u) => u.user_id !== client.userId);
      if (/^@[^:]+:.+$/.test(t) && !list.some((u) => u.user_id === t)) list.unshift({ user_id: t });
      return list;
    },
  );

  const start = async (userId: string): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      const roomId = await client.startDm(userId);
      navigate(`/room/${encodeURIComponent(roomId)}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="New direct message" />
      <div class="page">
        <section>
          <label for="dm-search">Search people by name or Matrix ID</label>
          <input id="dm-search" type="search" autocomplete="off" placeholder="@someone:server or a name" value={term()} onInput={(e) => setTerm(e.currentTarget.value)} autofocus />
          <Show when={error()}>
            <p class="error" role="alert">{error()}</p>
          </Show>
          <ul class="list" aria-label="People found" aria-busy={results.loading}>
            <For each={results()} fallback={<li class="hint">{term() ? (results.loading ? 'Searching…' : 'Nobody found.') : 'Type to search.'}</li>}>
              {(u) => (
                <li>
                  <Avatar id={u.user_id} name={u.display_name ?? u.user_id} url={u.avatar_url} />
                  <div class="grow">
                    <div>{u.display_name ?? u.user_id}</div>
                    <div class="hint">{u.user_id}</div>
                  </div>
                  <button class="primary" disabled={busy()} onClick={() => void start(u.user_id)} aria-label={`Message ${u.display_name ?? u.user_id}`}>
                    Message
                  </button>
                </li>
              )}
            </For>
          </ul>
        </section>
      </div>
    </>
  );
}
