import { useNavigate } from '@solidjs/router';
import { createResource, createSignal, Show } from 'solid-js';
import { can, isEncrypted, roomAvatar, roomName, roomTopic, stateContent } from '../../matrix/room-info';
import { Avatar } from '../common/Avatar';
import type { RoomData } from '../../matrix/sync/accumulator';
import { useClient } from '../context';
import { Icon } from '../common/Icon';

export function RoomSettings(props: { room: RoomData; onError: (err: unknown) => void; onClose: () => void }) {
  const client = useClient();
  const navigate = useNavigate();
  const roomId = props.room.roomId;
  const me = client.userId;
  const [name, setName] = createSignal(String(stateContent(props.room, 'm.room.name')?.name ?? ''));
  const [topic, setTopic] = createSignal(roomTopic(props.room) ?? '');
  const [saved, setSaved] = createSignal('');
  const joinRule = (): string => String(stateContent(props.room, 'm.room.join_rules')?.join_rule ?? 'invite');
  const history = (): string => String(stateContent(props.room, 'm.room.history_visibility')?.history_visibility ?? 'shared');
  const [listed, { refetch: refetchListed }] = createResource(() => client.api.roomVisibility(roomId).then((v) => v.visibility === 'public').catch(() => undefined));
  const run = async (p: Promise<unknown>, msg: string): Promise<void> => {
    setSaved('');
    try {
      await p;
      setSaved(msg);
    } catch (err) {
      props.onError(err);
    }
  };

  return (
    <aside class="side-panel" aria-label="Room settings">
      <div class="row">
        <h3 class="grow">Settings</h3>
        <button class="icon" aria-label="Close settings" onClick={() => props.onClose()}>
          <Icon name="close" />
        </button>
      </div>
      <div class="row">
        <Avatar id={roomId} name={roomName(props.room, me)} url={roomAvatar(props.room, me, false)} size={56} />
        <div class="grow">
          <label for="rs-avatar">Picture</label>
          <input
            id="rs-avatar"
            type="file"
            accept="image/*"
            disabled={!can(props.room, me, 'avatar')}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void run(client.setRoomAvatar(roomId, file), 'Picture changed.');
            }}
          />
        </div>
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const jobs: Array<Promise<unknown>> = [];
          if (name() !== String(stateContent(props.room, 'm.room.name')?.name ?? '')) jobs.push(client.api.setState(roomId, 'm.room.name', '', { name: name() }));
          if (topic() !== (roomTopic(props.room) ?? '')) jobs.push(client.api.setState(roomId, 'm.room.topic', '', { topic: topic() }));
          void run(Promise.all(jobs), 'Saved.');
        }}
      >
        <label for="rs-name">Name</label>
        <input id="rs-name" value={name()} placeholder={roomName(props.room, me)} disabled={!can(props.room, me, 'name')} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="rs-topic">Topic</label>
        <textarea id="rs-topic" rows="3" value={topic()} disabled={!can(props.room, me, 'topic')} onInput={(e) => setTopic(e.currentTarget.value)} />
        <button type="submit" style={{ 'margin-top': '0.5rem' }} disabled={!can(props.room, me, 'name') && !can(props.room, me, 'topic')}>
          Save
        </button>
      </form>
      <label for="rs-join">Who can join</label>
      <select id="rs-join" value={joinRule()} disabled={!can(props.room, me, 'join_rules')} onChange={(e) => void run(client.api.setState(roomId, 'm.room.join_rules', '', { join_rule: e.currentTarget.value }), 'Saved.')}>
        <option value="invite">Only people invited</option>
        <option value="public">Anyone who finds it</option>
        <option value="knock">Anyone can ask to join</option>
      </select>
      <label class="row">
        <input
          type="checkbox"
          style={{ width: 'auto' }}
          checked={listed() === true}
          disabled={listed() === undefined || !can(props.room, me, 'join_rules')}
          onChange={(e) => void run(client.api.setRoomVisibility(roomId, e.currentTarget.checked ? 'public' : 'private'), 'Saved.').then(() => refetchListed())}
        />{' '}
        Listed in the public room directory
      </label>
      <label for="rs-history">Who can read history</label>
      <select id="rs-history" value={history()} disabled={!can(props.room, me, 'history')} onChange={(e) => void run(client.api.setState(roomId, 'm.room.history_visibility', '', { history_visibility: e.currentTarget.value }), 'Saved.')}>
        <option value="shared">Members (all history)</option>
        <option value="invited">Members, since they were invited</option>
        <option value="joined">Members, since they joined</option>
        <option value="world_readable">Anyone</option>
      </select>
      <label>Encryption</label>
      <Show
        when={!isEncrypted(props.room)}
        fallback={<p class="hint">On: only the members’ devices can read messages. It cannot be turned off.</p>}
      >
        <p class="hint">Off. Once on, encryption cannot be turned off again.</p>
        <button
          disabled={!can(props.room, me, 'encryption') || client.cryptoStatus() !== 'ready'}
          onClick={() => {
            if (confirm('Turn on end-to-end encryption for this room? It cannot be turned off.')) {
              void run(client.api.setState(roomId, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' }), 'Encryption is on.');
            }
          }}
        >
          Turn on encryption
        </button>
      </Show>
      <label class="row">
        <input type="checkbox" style={{ width: 'auto' }} checked={client.isMuted(roomId)} onChange={(e) => void run(client.setMuted(roomId, e.currentTarget.checked), 'Saved.')} /> Mute notifications
      </label>
      <Show when={saved()}>
        <p class="hint" role="status">{saved()}</p>
      </Show>
      <button
        class="danger"
        style={{ 'margin-top': '1rem' }}
        onClick={() => {
          if (!confirm('Leave this room?')) return;
          void run(client.leave(roomId), 'Left.').then(() => navigate('/'));
        }}
      >
        Leave room
      </button>
    </aside>
  );
}
