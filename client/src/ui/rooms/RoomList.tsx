import { A, useLocation, useNavigate } from '@solidjs/router';
import { createMemo, createResource, createSignal, For, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { directPartner, memberName, roomAvatar, roomName, sortedRooms } from '../../matrix/room-info';
import { lastMessagePreview } from '../../matrix/preview';
import type { RoomData } from '../../matrix/sync/accumulator';
import type { DecryptedView } from '../../matrix/timeline-view';
import { Avatar } from '../common/Avatar';
import { shortWhen } from '../common/format';
import { useClient } from '../context';
import { Icon } from '../common/Icon';

type Tab = 'all' | 'dms' | 'groups';

function preview(room: RoomData, own: string, decrypted: Record<string, DecryptedView>): string {
  if (room.membership === 'invite') {
    const inviter = room.inviteState.find((e) => e.type === 'm.room.member' && e.state_key === own)?.sender;
    return inviter ? `Invited by ${memberName(room, inviter)}` : 'Invitation';
  }
  if (room.membership === 'knock') return 'You asked to join. Waiting for an answer…';
  const p = lastMessagePreview(room, own, decrypted);
  return p ? `${p.who}: ${p.text}` : '';
}

export function RoomList() {
  const client = useClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [filter, setFilter] = createSignal('');
  const [tab, setTab] = createSignal<Tab>('all');
  const [error, setError] = createSignal('');
  const [keysMissing] = createResource(
    () => [client.cryptoStatus(), client.trustChanged()] as const,
    () => client.lacksKeys().catch(() => false),
  );

  const rooms = createMemo(() => {
    const f = filter().trim().toLowerCase();
    return sortedRooms(client.sync).filter((r) => {
      const direct = client.isDirect(r.roomId);
      if (tab() === 'dms' && !direct) return false;
      if (tab() === 'groups' && direct) return false;
      return !f || roomName(r, client.userId).toLowerCase().includes(f);
    });
  });

  const act = async (fn: () => Promise<void>): Promise<void> => {
    setError('');
    try {
      await fn();
    } catch (err) {
      setError(describeError(err));
    }
  };

  // Arrow keys move between rooms, as in a listbox; Tab leaves the list.
  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('a.room-item')];
    const at = links.indexOf(document.activeElement as HTMLElement);
    const next = links[Math.max(0, Math.min(links.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))];
    next?.focus();
    e.preventDefault();
  };

  return (
    <>
      <div class="topbar">
        <h1 class="grow">Hearth</h1>
        <button class="icon" title="Search messages" aria-label="Search messages" onClick={() => navigate('/search')}>
          <Icon name="search" />
        </button>
        <button class="icon" title="New direct message" aria-label="New direct message" onClick={() => navigate('/new/dm')}>
          <Icon name="message" />
        </button>
        <button class="icon" title="New group" aria-label="New group" onClick={() => navigate('/new/group')}>
          <Icon name="plus" />
        </button>
        <button class="icon" title="Explore public rooms" aria-label="Explore public rooms" onClick={() => navigate('/explore')}>
          <Icon name="compass" />
        </button>
        <button class="icon" title="Settings" aria-label="Settings" onClick={() => navigate('/settings')}>
          <Icon name="settings" />
        </button>
      </div>
      <Show when={client.status() !== 'live'}>
        <div class="status-line" role="status">
          {client.status() === 'connecting' ? 'Connecting…' : client.status() === 'reconnecting' ? 'Offline — showing saved messages. Reconnecting…' : ''}
        </div>
      </Show>
      <Show when={keysMissing()}>
        <div class="status-line" role="status">
          Your encrypted history is backed up, but this session cannot read it yet. <A href="/settings">Verify this session or enter your recovery key</A>.
        </div>
      </Show>
      <div class="room-filter">
        <label class="sr-only" for="room-filter">Filter rooms</label>
        <input id="room-filter" type="search" placeholder="Filter rooms" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
        <div class="tabs" role="group" aria-label="Show">
          <button aria-pressed={tab() === 'all'} onClick={() => setTab('all')}>All</button>
          <button aria-pressed={tab() === 'dms'} onClick={() => setTab('dms')}>People</button>
          <button aria-pressed={tab() === 'groups'} onClick={() => setTab('groups')}>Groups</button>
        </div>
      </div>
      <Show when={error()}>
        <p class="error" role="alert">{error()}</p>
      </Show>
      <ul class="room-list" onKeyDown={onKeyDown} aria-label="Conversations">
        <For each={rooms()} fallback={<li class="empty">{client.ready() ? 'No conversations yet.' : 'Loading…'}</li>}>
          {(room) => {
            const href = (): string => `/room/${encodeURIComponent(room.roomId)}`;
            const name = (): string => roomName(room, client.userId);
            const muted = (): boolean => client.isMuted(room.roomId);
            const unread = (): number => room.notificationCount;
            const partner = (): string | undefined => (client.isDirect(room.roomId) ? directPartner(room, client.userId) : undefined);
            return (
              <li>
                <A
                  class="room-item"
                  classList={{ unread: unread() > 0 }}
                  href={href()}
                  aria-current={location.pathname === href() ? 'page' : undefined}
                  aria-label={`${name()}${unread() ? `, ${unread()} unread` : ''}${room.highlightCount ? `, ${room.highlightCount} mentions` : ''}${room.membership === 'invite' ? ', invitation' : ''}${muted() ? ', muted' : ''}`}
                >
                  <Avatar id={room.roomId} name={name()} url={roomAvatar(room, client.userId, client.isDirect(room.roomId))} size={40} presence={partner() ? client.presenceOf(partner()!) : undefined} />
                  <div class="grow">
                    <div class="row">
                      <span class="name grow">{name()}</span>
                      <span class="hint">{shortWhen(room.lastActivity)}</span>
                    </div>
                    <div class="row">
                      <span class="preview grow">{preview(room, client.userId, client.decrypted)}</span>
                      <Show when={room.highlightCount > 0}>
                        <span class="badge mention" title="Mentions">@{room.highlightCount}</span>
                      </Show>
                      <Show when={muted()}>
                        <span class="hint" title="Muted" aria-label="Muted">
                          <Icon name="bellOff" size={14} />
                        </span>
                      </Show>
                      <Show when={unread() > 0 && room.highlightCount === 0}>
                        <span class="badge" classList={{ muted: muted() }}>{unread()}</span>
                      </Show>
                    </div>
                    <Show when={room.membership === 'invite'}>
                      <div class="invite-actions">
                        <button
                          class="primary"
                          onClick={(e) => {
                            e.preventDefault();
                            void act(async () => {
                              await client.acceptInvite(room.roomId);
                              navigate(href());
                            });
                          }}
                        >
                          Accept
                        </button>
                        <button
                          onClick={(e) => {
                            e.preventDefault();
                            void act(() => client.declineInvite(room.roomId));
                          }}
                        >
                          Decline
                        </button>
                      </div>
                    </Show>
                  </div>
                </A>
              </li>
            );
          }}
        </For>
      </ul>
    </>
  );
}
