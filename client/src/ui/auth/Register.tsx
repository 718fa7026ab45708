import { A, useNavigate, useSearchParams } from '@solidjs/router';
import { createResource, createSignal, Show } from 'solid-js';
import { MatrixApi } from '../../matrix/api';
import { describeError } from '../../matrix/errors';
import { HttpClient } from '../../matrix/http';
import { normaliseBaseUrl } from '../../matrix/discovery';
import { defaultHomeserver, rememberHomeserver, setSession } from '../../state/session';
import { HomeserverInput, useHomeserver } from './HomeserverField';
import { DEVICE_NAME } from './Login';

/**
 * Sign-up. A registration token is asked for unless the server has open registration; on a new
 * server the token is the one its log printed at first start.
 */
export function Register() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const hs = useHomeserver(defaultHomeserver());
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [token, setToken] = createSignal(typeof params.token === 'string' ? params.token : '');
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [flows] = createResource(
    () => normaliseBaseUrl(hs.url()),
    async (baseUrl) => {
      try {
        const f = await new MatrixApi(new HttpClient({ baseUrl })).registerFlows();
        return { open: f.flows.some((x) => x.stages.length === 1 && x.stages[0] === 'm.login.dummy') };
      } catch {
        return { open: false };
      }
    },
  );

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError('');
    if (password() !== confirm()) {
      setError('The passwords do not match.');
      return;
    }
    setBusy(true);
    try {
      const baseUrl = normaliseBaseUrl(hs.url());
      const api = new MatrixApi(new HttpClient({ baseUrl }));
      const res = await api.register({ username: username().trim(), password: password(), registrationToken: token().trim() || undefined, deviceName: DEVICE_NAME });
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
          <img src="/favicon.svg" alt="" width="28" height="28" /> Create an account
        </h1>
        <form onSubmit={(e) => void submit(e)}>
          <label for="reg-user">Username</label>
          <input id="reg-user" name="username" autocomplete="username" autocapitalize="none" pattern="[a-zA-Z0-9._\=\-\/]+" value={username()} onInput={(e) => setUsername(e.currentTarget.value)} required />
          <label for="reg-password">Password</label>
          <input id="reg-password" name="password" type="password" autocomplete="new-password" minlength="8" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} required />
          <label for="reg-confirm">Confirm password</label>
          <input id="reg-confirm" name="confirm" type="password" autocomplete="new-password" value={confirm()} onInput={(e) => setConfirm(e.currentTarget.value)} required />
          <label for="reg-token">Registration token{flows()?.open ? ' (optional)' : ''}</label>
          <input id="reg-token" name="token" autocomplete="off" value={token()} onInput={(e) => setToken(e.currentTarget.value)} required={flows()?.open === false} />
          <p class="hint">
            {flows()?.open
              ? 'This server has open registration.'
              : 'Ask your server’s admin for a token. On a brand-new server, the first-run token is printed in the server log; whoever uses it becomes the admin.'}
          </p>
          <HomeserverInput url={hs.url()} onInput={hs.setUrl} note={hs.note()} />
          <Show when={error()}>
            <p class="error" role="alert">{error()}</p>
          </Show>
          <button class="primary" type="submit" disabled={busy()}>
            {busy() ? 'Creating…' : 'Create account'}
          </button>
        </form>
        <p class="hint">
          Have an account? <A href="/login">Sign in</A>
        </p>
      </div>
    </main>
  );
}
