import { useNavigate } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { can, canActOn, knocking, members, powerLevels, roleName, userPower, type Member } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import { Avatar } from '../common/Avatar';
import { useClient } from '../context';
import { Icon } from '../common/Icon';

/**
 * A member's sessions, marked verified or not. Our own sessions are verified one by one; another
 * person is verified once (emoji in our direct chat), and their cross-signing vouches for their sessions.
 */
function MemberDevices(props: { userId: string; onError: (err: unknown) => void }) {
  const client = useClient();
  const own = (): boolean => props.userId === client.userId;
  const [trust] = createResource(
    () => [props.userId, client.verifications().map((v) => v.snapshot()?.phase).join(), client.trustChanged(), client.identitiesChanged()] as const,
    async ([userId]) => {
      // Failures show as "no sessions" rather than break the panel.
      const [devices, user] = await Promise.all([client.devices(userId).catch(() => []), userId === client.userId ? Promise.resolve(false) : client.isUserVerified(userId).catch(() => false)]);
      return { devices, user };
    },
  );
  return (
    <div style={{ width: '100%' }}>
      <Show when={!own()}>
        <div class="row" style={{ margin: '0.2rem 0' }}>
          <Show
            when={trust()?.user}
            fallback={
              <>
                <span class="unverified grow">Not verified</span>
                <button onClick={() => void client.verifyUser(props.userId).catch((err: unknown) => props.onError(err))}>Verify by emoji</button>
              </>
            }
          >
            <span class="verified">
              <Icon name="shieldCheck" size={14} /> Verified person
            </span>
          </Show>
        </div>
      </Show>
      <ul class="list" aria-label="Sessions">
        <For each={trust()?.devices} fallback={<li class="hint">{trust.loading ? 'Loading sessions…' : 'No sessions with encryption keys.'}</li>}>
          {(d) => (
            <li>
              <span class="grow">
                {d.displayName ?? d.deviceId} <span class={d.verified ? 'verified' : 'unverified'}>{d.verified ? 'Verified' : 'Not verified'}</span>
              </span>
              <Show when={own() && !d.verified && d.deviceId !== client.session.deviceId}>
                <button onClick={() => void client.verifyDevice(props.userId, d.deviceId).catch((err: unknown) => props.onError(err))}>Verify</button>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}

/** Members with their roles; actions appear only where our power allows them. */
export function MemberList(props: { room: RoomData; onError: (err: unknown) => void; onClose: () => void }) {
  const client = useClient();
  const navigate = useNavigate();
  const [invitee, setInvitee] = createSignal('');
  const [open, setOpen] = createSignal<string | undefined>();
  const roomId = props.room.roomId;
  const me = client.userId;
  const run = (p: Promise<unknown>): void => void p.catch((err: unknown) => props.onError(err));

  const setRole = async (m: Member, level: number): Promise<void> => {
    const pl = powerLevels(props.room);
    await client.api.setState(roomId, 'm.room.power_levels', '', { ...pl, users: { ...(pl.users ?? {}), [m.userId]: level } });
  };

  const invite = async (e: Event): Promise<void> => {
    e.preventDefault();
    const id = invitee().trim();
    if (!/^@[^:]+:.+$/.test(id)) return props.onError(new Error('Enter a Matrix ID like @name:server'));
    await client.api.membership(roomId, 'invite', id);
    setInvitee('');
  };

  const myPower = (): number => userPower(powerLevels(props.room), me);
  const roles = (): Array<[number, string]> => ([[0, 'Member'], [50, 'Moderator'], [100, 'Admin']] as Array<[number, string]>).filter(([l]) => l <= myPower());

  return (
    <aside class="side-panel" aria-label="Members">
      <div class="row">
        <h3 class="grow">Members</h3>
        <button class="icon" aria-label="Close members" onClick={() => props.onClose()}>
          <Icon name="close" />
        </button>
      </div>
      <Show when={can(props.room, me, 'invite')}>
        <form class="row" onSubmit={(e) => run(invite(e))}>
          <label class="sr-only" for="invite-id">Invite by Matrix ID</label>
          <input id="invite-id" placeholder="Invite @name:server" value={invitee()} onInput={(e) => setInvitee(e.currentTarget.value)} />
          <button type="submit">Invite</button>
        </form>
      </Show>
      <Show when={knocking(props.room).length > 0}>
        <h4 style={{ margin: '0.75rem 0 0.25rem' }}>Asking to join</h4>
        <ul class="list" aria-label="Asking to join">
          <For each={knocking(props.room)}>
            {(k) => (
              <li style={{ 'flex-wrap': 'wrap' }}>
                <Avatar id={k.userId} name={k.name} size={30} />
                <div class="grow">
                  <div class="ellipsis">{k.name}</div>
                  <div class="hint ellipsis">{k.reason ?? k.userId}</div>
                </div>
                <Show when={can(props.room, me, 'invite')}>
                  <button class="primary" aria-label={`Let ${k.name} in`} onClick={() => run(client.answerKnock(roomId, k.userId, true))}>
                    Accept
                  </button>
                </Show>
                <Show when={canActOn(props.room, me, k.userId, 'kick')}>
                  <button aria-label={`Turn ${k.name} away`} onClick={() => run(client.answerKnock(roomId, k.userId, false))}>
                    Decline
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <h4 style={{ margin: '0.75rem 0 0.25rem' }}>Members</h4>
      </Show>
      <ul class="list" aria-label="Members">
        <For each={members(props.room)}>
          {(m) => (
            <li style={{ display: 'block' }}>
              <div class="member">
                <Avatar id={m.userId} name={m.name} url={m.avatarUrl} size={30} presence={client.presenceOf(m.userId)} />
                <button class="icon grow" style={{ 'text-align': 'left' }} aria-expanded={open() === m.userId} onClick={() => setOpen(open() === m.userId ? undefined : m.userId)}>
                  <div>{m.name}{m.userId === me ? ' (you)' : ''}</div>
                  <div class="role">
                    {roleName(m.powerLevel)}
                    {m.membership !== 'join' ? ` · ${m.membership === 'invite' ? 'invited' : 'banned'}` : ''}
                    {client.presenceOf(m.userId)?.statusMsg ? ` · ${client.presenceOf(m.userId)!.statusMsg}` : ''}
                  </div>
                </button>
              </div>
              <Show when={open() === m.userId}>
                <div class="member-actions">
                  <div class="hint" style={{ width: '100%' }}>{m.userId}</div>
                  <Show when={client.cryptoStatus() === 'ready' && m.membership === 'join'}>
                    <MemberDevices userId={m.userId} onError={props.onError} />
                  </Show>
                  <Show when={m.userId !== me}>
                    <button onClick={() => run(client.startDm(m.userId).then((id) => navigate(`/room/${encodeURIComponent(id)}`)))}>Message</button>
                  </Show>
                  <Show when={m.userId !== me && m.membership !== 'ban' && canActOn(props.room, me, m.userId, 'kick')}>
                    <button onClick={() => confirm(`Remove ${m.name} from the room?`) && run(client.api.membership(roomId, 'kick', m.userId))}>Remove</button>
                  </Show>
                  <Show when={m.userId !== me && m.membership !== 'ban' && canActOn(props.room, me, m.userId, 'ban')}>
                    <button class="danger" onClick={() => confirm(`Ban ${m.name}?`) && run(client.api.membership(roomId, 'ban', m.userId))}>Ban</button>
                  </Show>
                  <Show when={m.membership === 'ban' && can(props.room, me, 'ban')}>
                    <button onClick={() => run(client.api.membership(roomId, 'unban', m.userId))}>Unban</button>
                  </Show>
                  <Show when={m.userId !== me && canActOn(props.room, me, m.userId, 'power')}>
                    <label class="sr-only" for={`role-${m.userId}`}>Role of {m.name}</label>
                    <select id={`role-${m.userId}`} value={String(m.powerLevel)} onChange={(e) => run(setRole(m, Number(e.currentTarget.value)))}>
                      <For each={roles()}>{([level, label]) => <option value={String(level)}>{label}</option>}</For>
                      <Show when={!roles().some(([l]) => l === m.powerLevel)}>
                        <option value={String(m.powerLevel)}>{roleName(m.powerLevel)}</option>
                      </Show>
                    </select>
                  </Show>
                </div>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </aside>
  );
}
