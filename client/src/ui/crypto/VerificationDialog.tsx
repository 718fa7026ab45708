import { createEffect, For, Match, Show, Switch } from 'solid-js';
import type { ActiveVerification } from '../../state/client';
import { useClient } from '../context';

/**
 * The emoji comparison with another device: both screens show the same seven emoji when no one
 * is in the middle. Shown over everything while a verification is under way.
 */
export function VerificationDialog(props: { active: ActiveVerification }) {
  const client = useClient();
  const s = () => props.active.snapshot();
  const run = (p: Promise<void>): void => void p.catch((err: unknown) => console.warn('verification step failed', err));
  // The side that asked starts the comparison as soon as the other is ready.
  createEffect(() => {
    if (s()?.phase === 'ready' && s()?.weStarted) run(props.active.v.startSas());
  });
  const who = (): string => {
    const snap = s();
    if (!snap) return '';
    if (snap.otherUserId === client.userId) return `your other session${snap.otherDeviceId ? ` (${snap.otherDeviceId})` : ''}`;
    const name = client.nameOf(snap.otherUserId);
    return name ? `${name} (${snap.otherUserId})` : snap.otherUserId;
  };
  const close = (): void => client.dismissVerification(props.active.id);

  return (
    <div class="lightbox" style={{ background: 'rgb(0 0 0 / 0.5)' }}>
      <div class="auth-card" role="dialog" aria-modal="true" aria-labelledby="verify-title">
        <h1 id="verify-title" style={{ 'font-size': '1.2rem' }}>
          Verify {who()}
        </h1>
        <Switch>
          <Match when={s()?.phase === 'requested' && s()?.weStarted}>
            <p>Waiting for the other side to accept…</p>
            <button onClick={() => run(props.active.v.cancel())}>Cancel</button>
          </Match>
          <Match when={s()?.phase === 'requested'}>
            <p>{who()} wants to verify this session by comparing emoji.</p>
            <div class="row">
              <button class="primary" onClick={() => run(props.active.v.accept())}>
                Accept
              </button>
              <button onClick={() => run(props.active.v.cancel())}>Decline</button>
            </div>
          </Match>
          <Match when={s()?.phase === 'ready' || s()?.phase === 'started'}>
            <p>Preparing the emoji…</p>
            <button onClick={() => run(props.active.v.cancel())}>Cancel</button>
          </Match>
          <Match when={s()?.phase === 'emoji' || s()?.phase === 'confirmed'}>
            <p>Check that these emoji appear, in this order, on the other screen:</p>
            <div class="sas" aria-label="Emoji to compare" role="list">
              <For each={s()?.emoji}>
                {(e) => (
                  <div role="listitem">
                    <span aria-hidden="true">{e.symbol}</span>
                    {e.description}
                  </div>
                )}
              </For>
            </div>
            <Show when={s()?.phase === 'emoji'} fallback={<p role="status">Waiting for the other side to confirm…</p>}>
              <div class="row">
                <button class="primary" onClick={() => run(props.active.v.confirm())}>
                  They match
                </button>
                <button class="danger" onClick={() => run(props.active.v.cancel())}>
                  They don’t match
                </button>
              </div>
            </Show>
          </Match>
          <Match when={s()?.phase === 'done'}>
            <p role="status">Verified. Messages from {who()} are now trusted.</p>
            <button class="primary" onClick={close}>
              Done
            </button>
          </Match>
          <Match when={s()?.phase === 'cancelled'}>
            <p role="status">Verification cancelled{s()?.cancelReason ? `: ${s()!.cancelReason}` : ''}.</p>
            <button onClick={close}>Close</button>
          </Match>
        </Switch>
      </div>
    </div>
  );
}
