import { createResource, createSignal, Match, Show, Switch } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { useClient } from '../context';

/** This device's encryption: its fingerprint, cross-signing, and the key backup. */
export function Encryption() {
  const client = useClient();
  // Asked again when secrets arrive from another session (the backup key, cross-signing keys).
  const [info] = createResource(
    () => [client.cryptoStatus() === 'ready', client.trustChanged()] as const,
    async ([ready]) => {
      if (!ready || !client.crypto) return undefined;
      const [backup, crossSigning] = await Promise.all([client.crypto.backupInfo().catch(() => undefined), client.crypto.hasCrossSigningKeys().catch(() => false)]);
      return { backup, crossSigning };
    },
  );
  const [recoveryKey, setRecoveryKey] = createSignal('');
  const [input, setInput] = createSignal('');
  const [note, setNote] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const act = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setNote('');
    try {
      await fn();
      client.trustUpdated();
    } catch (err) {
      setNote(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="crypto-h">
      <h2 id="crypto-h">Encryption</h2>
      <Switch>
        <Match when={client.cryptoStatus() === 'loading'}>
          <p class="hint">Starting encryption…</p>
        </Match>
        <Match when={client.cryptoStatus() === 'unavailable'}>
          <p class="error">End-to-end encryption could not start in this browser; encrypted rooms cannot be read here.</p>
        </Match>
        <Match when={client.cryptoStatus() === 'ready'}>
          <p class="hint">
            This session’s key: <code>{client.crypto?.identityKey.match(/.{1,4}/g)?.join(' ')}</code>
          </p>
          <p class="hint">
            {info()?.crossSigning
              ? 'This session holds your cross-signing keys: it can verify your other sessions (see Sessions).'
              : 'Verify this session from one of your other sessions to trust it and read its messages everywhere.'}
          </p>
          <h3 style={{ 'font-size': '1rem', margin: '0.75rem 0 0.25rem' }}>Key backup</h3>
          <Show when={recoveryKey()}>
            <div role="status">
              <p>Your recovery key. Keep it somewhere safe: it is the only way to read your encrypted history on a new device if this one is lost.</p>
              <p>
                <code class="recovery-key" aria-label="Recovery key">{recoveryKey()}</code>
              </p>
              <div class="row">
                <button onClick={() => void navigator.clipboard?.writeText(recoveryKey())}>Copy</button>
                <button class="primary" onClick={() => setRecoveryKey('')}>
                  I have saved it
                </button>
              </div>
            </div>
          </Show>
          <Show when={!recoveryKey()}>
            <Switch>
              <Match when={info.loading}>
                <p class="hint">Checking the backup…</p>
              </Match>
              <Match when={!info()?.backup}>
                <p class="hint">Your message keys are not backed up. Without a backup, signing out of every session loses your encrypted history.</p>
                <button class="primary" disabled={busy()} onClick={() =>
                    void act(async () => {
                      setRecoveryKey(await client.crypto!.createBackup());
                    })
                  }>
                  Set up key backup
                </button>
              </Match>
              <Match when={info()?.backup?.enabled}>
                <p class="hint">Keys are backed up (backup version {info()?.backup?.version}).</p>
              </Match>
              <Match when={info()?.backup}>
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act(async () => {
                      const r = await client.crypto!.restoreBackup(input());
                      setInput('');
                      setNote(`Restored ${r.imported} of ${r.total} keys.`);
                    });
                  }}
                >
                  <label for="recovery-input">Recovery key</label>
                  <input id="recovery-input" autocomplete="off" spellcheck={false} value={input()} onInput={(e) => setInput(e.currentTarget.value)} placeholder="EsT… (48 characters)" required />
                  <p class="hint">A backup exists. Enter its recovery key to read your encrypted history in this session.</p>
                  <button class="primary" type="submit" disabled={busy()}>
                    Restore from backup
                  </button>
                </form>
              </Match>
            </Switch>
          </Show>
          <Show when={note()}>
            <p class="hint" role="status">{note()}</p>
          </Show>
        </Match>
      </Switch>
    </section>
  );
}
