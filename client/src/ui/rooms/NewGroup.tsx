import { useNavigate } from '@solidjs/router';
import { createSignal, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { PageHeader } from '../common/PageHeader';
import { useClient } from '../context';

export function NewGroup() {
  const client = useClient();
  const navigate = useNavigate();
  const [name, setName] = createSignal('');
  const [topic, setTopic] = createSignal('');
  const [invite, setInvite] = createSignal('');
  const [isPublic, setPublic] = createSignal(false);
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const ids = invite().split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
      const bad = ids.find((id) => !/^@[^:]+:.+$/.test(id));
      if (bad) throw new Error(`${bad} is not a Matrix ID (like @name:server)`);
      const roomId = await client.createGroup({ name: name().trim(), topic: topic().trim(), invite: ids, isPublic: isPublic() });
      navigate(`/room/${encodeURIComponent(roomId)}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="New group" />
      <div class="page">
        <section>
          <form onSubmit={(e) => void submit(e)}>
            <label for="group-name">Name</label>
            <input id="group-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} required maxlength="255" />
            <label for="group-topic">Topic</label>
            <input id="group-topic" value={topic()} onInput={(e) => setTopic(e.currentTarget.value)} maxlength="1000" />
            <label for="group-invite">Invite (Matrix IDs, separated by spaces or commas)</label>
            <input id="group-invite" value={invite()} onInput={(e) => setInvite(e.currentTarget.value)} placeholder="@alice:example.org" />
            <label class="row">
              <input type="checkbox" style={{ width: 'auto' }} checked={isPublic()} onChange={(e) => setPublic(e.currentTarget.checked)} /> Anyone on the server can join
            </label>
            <Show when={error()}>
              <p class="error" role="alert">{error()}</p>
            </Show>
            <button class="primary" type="submit" disabled={busy()} style={{ 'margin-top': '1rem' }}>
              Create group
            </button>
          </form>
        </section>
      </div>
    </>
  );
}
