import { A, useNavigate } from '@solidjs/router';
import { createSignal, Show } from 'solid-js';
import { MatrixApi } from '../../matrix/api';
import { describeError } from '../../matrix/errors';
import { HttpClient } from '../../matrix/http';
import { normaliseBaseUrl } from '../../matrix/discovery';
import { defaultHomeserver, rememberHomeserver, setSession } from '../../state/session';
import { HomeserverInput, useHomeserver } from './HomeserverField';

export const DEVICE_NAME = `Hearth web (${navigator.platform || 'browser'})`;

export function Login() {
  const navigate = useNavigate();
  const hs = useHomeserver(defaultHomeserver());
  const [user, setUser] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const baseUrl = normaliseBaseUrl(hs.url());
      const api = new MatrixApi(new HttpClient({ baseUrl }));
      const res = await api.login(user().trim(), password(), DEVICE_NAME);
      rememberHomeserver(baseUrl);
      setSession({ homeserverUrl: baseUrl, userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id });
      navigate('/', { replace: true });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth">
      <div class="auth-card">
        <h1>
          <img src="/favicon.svg" alt="" width="28" height="28" /> Sign in to Hearth
        </h1>
        <form onSubmit={(e) => void submit(e)}>
          <label for="login-user">Username or Matrix ID</label>
          <input
            id="login-user"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            value={user()}
            onInput={(e) => setUser(e.currentTarget.value)}
            onBlur={() => void hs.discoverFrom(user())}
            required
          />
          <label for="login-password">Password</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} required />
          <HomeserverInput url={hs.url()} onInput={hs.setUrl} note={hs.note()} />
          <Show when={error()}>
            <p class="error" role="alert">{error()}</p>
          </Show>
          <button class="primary" type="submit" disabled={busy()}>
            {busy() ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p class="hint">
          New here? <A href="/register">Create an account</A>
        </p>
      </div>
    </main>
  );
}
