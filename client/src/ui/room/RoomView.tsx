import { useNavigate, useParams, useSearchParams } from '@solidjs/router';
import { createEffect, createMemo, createSignal, Match, on, Show, Switch } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { directPartner, isEncrypted, memberName, roomAvatar, roomName, roomTopic } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import { buildTimeline, clearEvent, threadRootOf, type EventItem } from '../../matrix/timeline-view';
import { Avatar, presenceLabel } from '../common/Avatar';
import { PageHeader } from '../common/PageHeader';
import { useClient } from '../context';
import { Composer, type ComposerMode } from './Composer';
import { MemberList } from './MemberList';
import { RoomSettings } from './RoomSettings';
import { RoomSearch } from './RoomSearch';
import { Timeline } from './Timeline';
import { ThreadPanel } from './ThreadPanel';
import { Icon } from '../common/Icon';

type Panel = 'members' | 'settings' | 'search' | { thread: string } | undefined;

function typingLine(room: RoomData, own: string): string {
  const names = room.typing.filter((u) => u !== own).map((u) => memberName(room, u));
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

function Room(props: { room: RoomData }) {
  const client = useClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  /** The message a link or search result points at; one in a thread opens that thread. */
  const focus = createMemo(() => {
    const id = typeof params.event === 'string' ? params.event : undefined;
    // A server search result may be a message this device has not loaded (yet).
    const e = id ? (props.room.timeline.find((x) => x.event_id === id) ?? client.search.event(id)) : undefined;
    return id ? { id, root: e ? threadRootOf(clearEvent(e, client.decrypted).content) : undefined } : undefined;
  });
  const [panel, setPanel] = createSignal<Panel>();
  const [mode, setMode] = createSignal<ComposerMode>();
  const [error, setError] = createSignal('');
  const onError = (err: unknown): void => {
    setError(describeError(err));
  };
  const toggle = (p: Panel): void => {
    setPanel(panel() === p ? undefined : p);
  };
  const thread = (): string | undefined => {
    const p = panel();
    return typeof p === 'object' ? p.thread : undefined;
  };
  createEffect(
    on(
      () => focus()?.root,
      (root) => {
        if (root) setPanel({ thread: root });
      },
    ),
  );
  const editLast = (): void => {
    const items = buildTimeline(props.room, client.userId, [], client.decrypted).filter((i): i is EventItem => i.kind === 'event' && i.editable);
    const last = items.at(-1);
    if (last) setMode({ kind: 'edit', item: last });
  };
  const name = (): string => roomName(props.room, client.userId);
  /** In a direct chat without a topic, the header says how the other person is doing. */
  const partnerPresence = (): string | undefined => {
    const other = client.isDirect(props.room.roomId) ? directPartner(props.room, client.userId) : undefined;
    const p = other ? client.presenceOf(other) : undefined;
    return p ? presenceLabel(p) : undefined;
  };
  let composer: { attach: (files: File[]) => void } | undefined;
  const [dragging, setDragging] = createSignal(false);

  return (
    <div class="room">
      <div
        class="room-main"
        classList={{ 'drop-target': dragging() }}
        onDragOver={(e) => {
          if (!e.dataTransfer?.types.includes('Files')) return;
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          setDragging(false);
          const files = [...(e.dataTransfer?.files ?? [])];
          if (files.length === 0) return;
          e.preventDefault();
          composer?.attach(files);
        }}
      >
        <div class="topbar">
          <button class="icon back" aria-label="Back to conversations" onClick={() => navigate('/')}>
            <Icon name="back" />
          </button>
          <Avatar id={props.room.roomId} name={name()} url={roomAvatar(props.room, client.userId, client.isDirect(props.room.roomId))} size={32} />
          <div class="grow" style={{ 'min-width': 0 }}>
            <h2>
              {name()}
              <Show when={isEncrypted(props.room)}>
                <span title="End-to-end encrypted" aria-label="End-to-end encrypted" style={{ 'margin-left': '0.35rem', 'vertical-align': 'middle' }}>
                  <Icon name="lock" size={14} />
                </span>
              </Show>
            </h2>
            <Show when={roomTopic(props.room) ?? partnerPresence()}>
              {(line) => <div class="hint ellipsis">{line()}</div>}
            </Show>
          </div>
          <button class="icon" aria-label="Search in this room" aria-pressed={panel() === 'search'} onClick={() => toggle('search')}>
            <Icon name="search" />
          </button>
          <button class="icon" aria-label="Members" aria-pressed={panel() === 'members'} onClick={() => toggle('members')}>
            <Icon name="members" />
          </button>
          <button class="icon" aria-label="Room settings" aria-pressed={panel() === 'settings'} onClick={() => toggle('settings')}>
            <Icon name="settings" />
          </button>
        </div>
        <Show when={error()}>
          <div class="status-line error" role="alert">
            {error()}{' '}
            <button class="icon" aria-label="Dismiss" onClick={() => setError('')}>
              <Icon name="close" />
            </button>
          </div>
        </Show>
        <Timeline room={props.room} focusEvent={focus()?.root ?? focus()?.id} actions={{ reply: (item) => setMode({ kind: 'reply', item }), edit: (item) => setMode({ kind: 'edit', item }), onError, openThread: (rootId) => setPanel({ thread: rootId }) }} />
        <div class="typing" aria-live="polite">
          {typingLine(props.room, client.userId)}
        </div>
        <Composer room={props.room} mode={mode()} setMode={setMode} onError={onError} onEditLast={editLast} ref={(api) => (composer = api)} />
      </div>
      <Switch>
        <Match when={panel() === 'members'}>
          <MemberList room={props.room} onError={onError} onClose={() => setPanel(undefined)} />
        </Match>
        <Match when={panel() === 'settings'}>
          <RoomSettings room={props.room} onError={onError} onClose={() => setPanel(undefined)} />
        </Match>
        <Match when={panel() === 'search'}>
          <RoomSearch room={props.room} onClose={() => setPanel(undefined)} />
        </Match>
        <Match when={thread()} keyed>
          {(rootId) => <ThreadPanel room={props.room} rootId={rootId} onError={onError} onClose={() => setPanel(undefined)} />}
        </Match>
      </Switch>
    </div>
  );
}

/** Our knock on a room: waiting at the door, with a way to take the request back. */
function Knocked(props: { room: RoomData }) {
  const client = useClient();
  const [error, setError] = createSignal('');
  return (
    <>
      <PageHeader title={roomName(props.room, client.userId)} />
      <div class="empty">
        <p>You asked to join {roomName(props.room, client.userId)}. Someone in the room will let you in, or not.</p>
        <button onClick={() => void client.leave(props.room.roomId).catch((e: unknown) => setError(describeError(e)))}>Cancel the request</button>
        <Show when={error()}>
          <p class="error" role="alert">{error()}</p>
        </Show>
      </div>
    </>
  );
}

function Invite(props: { room: RoomData }) {
  const client = useClient();
  const [error, setError] = createSignal('');
  return (
    <>
      <PageHeader title={roomName(props.room, client.userId)} />
      <div class="empty">
        <p>You were invited to {roomName(props.room, client.userId)}.</p>
        <div class="row" style={{ 'justify-content': 'center' }}>
          <button class="primary" onClick={() => void client.acceptInvite(props.room.roomId).catch((e: unknown) => setError(describeError(e)))}>
            Accept
          </button>
          <button onClick={() => void client.declineInvite(props.room.roomId).catch((e: unknown) => setError(describeError(e)))}>Decline</button>
        </div>
        <Show when={error()}>
          <p class="error" role="alert">{error()}</p>
        </Show>
      </div>
    </>
  );
}

/** The room route: the room once the client knows it (a fresh DM may take a sync to arrive). */
export function RoomView() {
  const client = useClient();
  const params = useParams();
  const roomId = (): string => {
    const raw = params.roomId ?? '';
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  const room = (): RoomData | undefined => client.sync.rooms[roomId()];
  return (
    <Show when={room()} fallback={<p class="empty">{client.ready() ? 'Loading the room…' : 'Opening…'}</p>} keyed>
      {(r) => (
        <Switch fallback={<Room room={r} />}>
          <Match when={r.membership === 'invite'}>
            <Invite room={r} />
          </Match>
          <Match when={r.membership === 'knock'}>
            <Knocked room={r} />
          </Match>
        </Switch>
      )}
    </Show>
  );
}
