import { useNavigate } from '@solidjs/router';
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { localpart } from '../../matrix/room-info';
import type { Device } from '../../matrix/types';
import { notify, setNotify, setTheme, theme, type Theme } from '../../state/prefs';
import { setSession } from '../../state/session';
import { Avatar } from '../common/Avatar';
import { PageHeader } from '../common/PageHeader';
import { shortWhen } from '../common/format';
import { useClient } from '../context';
import { Encryption } from './Encryption';

function Profile() {
  const client = useClient();
  const [profile, { refetch }] = createResource(() => client.api.profile(client.userId).catch(() => ({ displayname: undefined, avatar_url: undefined })));
  const [name, setName] = createSignal<string>();
  const [status, setStatus] = createSignal(client.sync.presence[client.userId]?.statusMsg ?? '');
  const [note, setNote] = createSignal('');
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setNote('');
    try {
      const n = name();
      if (n !== undefined && n !== profile()?.displayname) await client.api.setDisplayName(client.userId, n);
      await client.api.setPresence(client.userId, 'online', status());
      setNote('Saved.');
      void refetch();
    } catch (err) {
      setNote(describeError(err));
    }
  };
  return (
    <section aria-labelledby="profile-h">
      <h2 id="profile-h">Profile</h2>
      <div class="row">
        <Avatar id={client.userId} name={profile()?.displayname ?? localpart(client.userId)} url={profile()?.avatar_url} size={56} />
        <div>
          <div style={{ 'font-weight': 700 }}>{profile()?.displayname ?? localpart(client.userId)}</div>
          <div class="hint">{client.userId}</div>
        </div>
      </div>
      <form onSubmit={(e) => void save(e)}>
        <label for="pf-name">Display name</label>
        <input id="pf-name" value={name() ?? profile()?.displayname ?? ''} onInput={(e) => setName(e.currentTarget.value)} maxlength="256" />
        <label for="pf-status">Status message</label>
        <input id="pf-status" value={status()} placeholder="What are you up to?" onInput={(e) => setStatus(e.currentTarget.value)} maxlength="256" />
        <label for="pf-avatar">Profile picture</label>
        <input
          id="pf-avatar"
          type="file"
          accept="image/*"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (!file) return;
            setNote('Uploading…');
            void client.api
              .upload(file, file.name)
              .then((mxc) => client.api.setAvatarUrl(client.userId, mxc))
              .then(() => {
                setNote('Picture updated.');
                void refetch();
              })
              .catch((err: unknown) => setNote(describeError(err)));
          }}
        />
        <button type="submit" class="primary" style={{ 'margin-top': '0.75rem' }}>
          Save profile
        </button>
        <Show when={note()}>
          <p class="hint" role="status">{note()}</p>
        </Show>
      </form>
    </section>
  );
}

function Sessions() {
  const client = useClient();
  const [error, setError] = createSignal('');
  // A failed refresh keeps the list it had (the error shows once, below), so reading it never throws.
  const [devices, { refetch }] = createResource(async (_: unknown, info: { value: Device[] | undefined }) => {
    try {
      return (await client.api.devices()).devices;
    } catch (err) {
      setError(describeError(err));
      return info.value ?? [];
    }
  });
  // Trust as the crypto engine sees it; refreshed whenever a verification finishes.
  const [trust, { refetch: refetchTrust }] = createResource(
    () => [client.verifications().length, client.trustChanged()] as const,
    async () => new Map((await client.devices(client.userId).catch(() => [])).map((d) => [d.deviceId, d.verified])),
  );
  // A session that signs in meanwhile (and uploads its keys a moment later) shows up by itself.
  const timer = setInterval(() => {
    if (!devices.loading) void refetch();
    if (!trust.loading) void refetchTrust();
  }, 3000);
  onCleanup(() => clearInterval(timer));
  const mark = (id: string) => {
    const t = trust()?.get(id);
    if (t === undefined) return null;
    return t ? <span class="verified">Verified</span> : <span class="unverified">Not verified</span>;
  };
  const [password, setPassword] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const others = (): string[] => (devices() ?? []).map((d) => d.device_id).filter((id) => id !== client.session.deviceId);
  const signOut = async (ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    if (!password()) {
      setError('Enter your password to sign out other sessions.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await client.api.deleteDevices(ids, client.userId, password());
      setPassword('');
      void refetch();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sessions</h2>
      <ul class="list" aria-busy={devices.loading}>
        <For each={(devices() ?? []).map((x) => x.device_id)}>
          {(id) => {
            // Rows are keyed by device ID: a refresh updates them in place.
            const d = (): Device => devices()?.find((x) => x.device_id === id) ?? { device_id: id };
            return (
              <li>
                <div class="grow">
                  <div>
                    {d().display_name ?? d().device_id}
                    {d().device_id === client.session.deviceId ? ' (this session)' : ''}
                  </div>
                  <div class="hint">
                    {d().device_id}
                    {d().last_seen_ts ? ` · last seen ${shortWhen(d().last_seen_ts!)}` : ''}
                    {d().last_seen_ip ? ` · ${d().last_seen_ip}` : ''}
                  </div>
                  {mark(d().device_id)}
                </div>
                <Show when={d().device_id !== client.session.deviceId && trust()?.get(d().device_id) === false}>
                  <button
                    onClick={() => {
                      setError('');
                      void client
                        .verifyDevice(client.userId, d().device_id)
                        .then(() => refetchTrust())
                        .catch((err: unknown) => setError(describeError(err)));
                    }}
                  >
                    Verify
                  </button>
                </Show>
                <Show when={d().device_id !== client.session.deviceId}>
                  <button class="danger" disabled={busy()} onClick={() => void signOut([d().device_id])}>
                    Sign out
                  </button>
                </Show>
              </li>
            );
          }}
        </For>
      </ul>
      <Show when={others().length > 0}>
        <label for="sess-password">Your password (to confirm)</label>
        <input id="sess-password" type="password" autocomplete="current-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button class="danger" style={{ 'margin-top': '0.5rem' }} disabled={busy()} onClick={() => void signOut(others())}>
          Sign out all other sessions
        </button>
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">{error()}</p>
      </Show>
    </section>
  );
}

export function Settings() {
  const client = useClient();
  const navigate = useNavigate();
  const logout = async (): Promise<void> => {
    await client.logout();
    setSession(undefined);
    navigate('/login', { replace: true });
  };
  return (
    <>
      <PageHeader title="Settings" />
      <div class="page">
        <Profile />
        <section aria-labelledby="appearance-h">
          <h2 id="appearance-h">Appearance and notifications</h2>
          <label for="theme">Theme</label>
          <select id="theme" value={theme()} onChange={(e) => setTheme(e.currentTarget.value as Theme)}>
            <option value="system">Same as the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
          <label class="row">
            <input type="checkbox" style={{ width: 'auto' }} checked={notify()} onChange={(e) => void setNotify(e.currentTarget.checked)} /> Show notifications when Hearth is in the background
          </label>
          <p class="hint">Mute a room in its settings to silence it.</p>
        </section>
        <Sessions />
        <Encryption />
        <section>
          <button class="danger" onClick={() => void logout()}>
            Sign out
          </button>
        </section>
      </div>
    </>
  );
}
