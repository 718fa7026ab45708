import { useNavigate } from '@solidjs/router';
import { createEffect, createSignal, onCleanup, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { PageHeader } from '../common/PageHeader';
import { useClient } from '../context';

type Access = 'invite' | 'knock' | 'public';

export function NewGroup() {
  const client = useClient();
  const navigate = useNavigate();
  const [name, setName] = createSignal('');
  const [topic, setTopic] = createSignal('');
  const [invite, setInvite] = createSignal('');
  const [access, setAccess] = createSignal<Access>('invite');
  const [encrypted, setEncrypted] = createSignal(true);
  const [avatar, setAvatar] = createSignal<File>();
  const [avatarUrl, setAvatarUrl] = createSignal<string>();
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);

  // A preview of the chosen picture; its object URL is released when replaced or left.
  createEffect(() => {
    const f = avatar();
    if (!f) return setAvatarUrl(undefined);
    const url = URL.createObjectURL(f);
    setAvatarUrl(url);
    onCleanup(() => URL.revokeObjectURL(url));
  });

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const ids = invite().split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
      const bad = ids.find((id) => !/^@[^:]+:.+$/.test(id));
      if (bad) throw new Error(`${bad} is not a Matrix ID (like @name:server)`);
      const roomId = await client.createGroup({ name: name().trim(), topic: topic().trim(), invite: ids, access: access(), encrypted: encrypted(), avatar: avatar() });
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
            <div class="row" style={{ 'align-items': 'flex-end' }}>
              <div class="avatar-pick">
                <Show when={avatarUrl()} fallback={<span class="avatar" style={{ width: '64px', height: '64px', background: 'var(--panel-2)', color: 'var(--muted)' }}>?</span>}>
                  {(u) => <img src={u()} alt="Group picture preview" width="64" height="64" />}
                </Show>
              </div>
              <div class="grow">
                <label for="group-avatar">Picture</label>
                <input id="group-avatar" type="file" accept="image/*" onChange={(e) => setAvatar(e.currentTarget.files?.[0])} />
              </div>
            </div>
            <label for="group-name">Name</label>
            <input id="group-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} required maxlength="255" />
            <label for="group-topic">Topic</label>
            <input id="group-topic" value={topic()} onInput={(e) => setTopic(e.currentTarget.value)} maxlength="1000" />
            <label for="group-invite">Invite (Matrix IDs, separated by spaces or commas)</label>
            <input id="group-invite" value={invite()} onInput={(e) => setInvite(e.currentTarget.value)} placeholder="@alice:example.org" />
            <label for="group-access">Who can join</label>
            <select
              id="group-access"
              value={access()}
              onChange={(e) => {
                const a = e.currentTarget.value as Access;
                setAccess(a);
                // Anyone can read a public room by joining it: encryption would only slow it down.
                setEncrypted(a !== 'public');
              }}
            >
              <option value="invite">Only people invited</option>
              <option value="knock">Anyone can ask to join (listed in the directory)</option>
              <option value="public">Anyone (listed in the directory)</option>
            </select>
            <label class="row">
              <input type="checkbox" style={{ width: 'auto' }} checked={encrypted()} disabled={client.cryptoStatus() === 'unavailable'} onChange={(e) => setEncrypted(e.currentTarget.checked)} /> End-to-end
              encrypted (cannot be turned off later)
            </label>
            <Show when={error()}>
              <p class="error" role="alert">{error()}</p>
            </Show>
            <button class="primary" type="submit" disabled={busy()} style={{ 'margin-top': '1rem' }}>
              {busy() ? 'Creating…' : 'Create group'}
            </button>
          </form>
        </section>
      </div>
    </>
  );
}
