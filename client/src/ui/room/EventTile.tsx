import { createSignal, For, Match, Show, Switch } from 'solid-js';
import { sanitizeHtml, stripReplyFallback } from '../../matrix/format';
import { can, memberAvatar, memberName } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import type { EventItem } from '../../matrix/timeline-view';
import type { JsonObject } from '../../matrix/types';
import { Avatar } from '../common/Avatar';
import { timeOf } from '../common/format';
import { useClient } from '../context';
import { describeStateEvent, plainBody } from './describe';
import { MediaBody } from './MediaBody';
import { EmojiPicker } from './EmojiPicker';
import { Icon } from '../common/Icon';

export interface TileActions {
  reply(item: EventItem): void;
  edit(item: EventItem): void;
  jumpTo(eventId: string): void;
  onError(err: unknown): void;
  /** Opens a message's thread (absent inside a thread: threads do not nest). */
  openThread?: ((rootId: string) => void) | undefined;
}

function Body(props: { content: JsonObject; sender: string; room: RoomData; onError: (err: unknown) => void }) {
  const html = (): string | undefined =>
    props.content.format === 'org.matrix.custom.html' && typeof props.content.formatted_body === 'string' ? sanitizeHtml(props.content.formatted_body) : undefined;
  const text = (): string => stripReplyFallback(typeof props.content.body === 'string' ? props.content.body : '');
  return (
    <Switch fallback={<div class="body">{text()}</div>}>
      <Match when={['m.image', 'm.file', 'm.audio', 'm.video'].includes(String(props.content.msgtype))}>
        <MediaBody content={props.content} onError={props.onError} />
      </Match>
      <Match when={props.content.msgtype === 'm.key.verification.request'}>
        <div class="body muted">
          <Icon name="shield" size={14} /> {memberName(props.room, props.sender)} asked {typeof props.content.to === 'string' ? memberName(props.room, props.content.to) : 'someone'} to verify each other by comparing emoji
        </div>
      </Match>
      <Match when={props.content.msgtype === 'm.emote'}>
        <div class="body">
          * {memberName(props.room, props.sender)} {text()}
        </div>
      </Match>
      <Match when={html()}>{(h) => <div class="body html" classList={{ muted: props.content.msgtype === 'm.notice' }} innerHTML={h()} />}</Match>
      <Match when={props.content.msgtype === 'm.notice'}>
        <div class="body muted">{text()}</div>
      </Match>
    </Switch>
  );
}

export function EventTile(props: { item: EventItem; room: RoomData; actions: TileActions; highlighted: boolean }) {
  const client = useClient();
  const [picking, setPicking] = createSignal(false);
  const e = () => props.item.event;
  const name = (): string => memberName(props.room, e().sender);
  const isState = (): boolean => e().state_key !== undefined;
  const mine = (): boolean => e().sender === client.userId;
  const canDelete = (): boolean => !props.item.redacted && !props.item.pending && (mine() || can(props.room, client.userId, 'redact'));
  const mention = (): boolean => !mine() && !props.item.redacted && client.mentionsMe(props.item.content);
  const run = (p: Promise<unknown>): void => void p.catch((err: unknown) => props.actions.onError(err));

  const toggleReaction = (key: string, own: string | undefined): void => {
    run(own ? client.redact(props.room.roomId, own) : client.react(props.room.roomId, e().event_id, key));
  };
  const replied = () => (props.item.replyTo ? props.room.timeline.find((x) => x.event_id === props.item.replyTo) : undefined);

  return (
    <Show
      when={!isState()}
      fallback={
        <li class="event notice" id={`ev-${e().event_id}`} data-event-id={e().event_id}>
          <span />
          <span>
            {describeStateEvent(props.room, e())} <span class="time">{timeOf(e().origin_server_ts)}</span>
          </span>
        </li>
      }
    >
      <li
        class="event"
        classList={{ 'group-start': props.item.groupStart, pending: props.item.pending, failed: props.item.failed, mention: mention(), highlighted: props.highlighted }}
        id={`ev-${e().event_id}`}
        data-event-id={e().event_id}
        tabindex="-1"
        aria-label={`${name()} at ${timeOf(e().origin_server_ts)}: ${plainBody(e())}`}
      >
        <div>
          <Show when={props.item.groupStart}>
            <Avatar id={e().sender} name={name()} url={memberAvatar(props.room, e().sender)} size={36} />
          </Show>
        </div>
        <div style={{ 'min-width': 0 }}>
          <Show when={props.item.groupStart}>
            <div class="sender">
              {name()}
              <span class="time">{timeOf(e().origin_server_ts)}</span>
            </div>
          </Show>
          <Show when={replied()}>
            {(r) => (
              <button type="button" class="reply-quote" style={{ display: 'block', width: '100%', 'text-align': 'left' }} onClick={() => props.actions.jumpTo(r().event_id)}>
                <strong>{memberName(props.room, r().sender)}</strong>: {stripReplyFallback(plainBody(r())).slice(0, 140)}
              </button>
            )}
          </Show>
          <Show when={!props.item.redacted} fallback={<div class="redacted">Message deleted</div>}>
            <Show when={!props.item.undecryptable} fallback={<div class="redacted"><Icon name="lock" size={14} /> {props.item.undecryptable}</div>}>
              <Body content={props.item.content} sender={e().sender} room={props.room} onError={props.actions.onError} />
            </Show>
          </Show>
          <Show when={props.item.shield}>
            {(sh) => (
              <div class="shield" classList={{ red: sh().color === 'red' }} title={sh().message}>
                <Icon name="shield" size={14} /> {sh().message ?? 'Sent from a device that is not verified'}
              </div>
            )}
          </Show>
          <Show when={props.item.edited}>
            <span class="edited">(edited)</span>
          </Show>
          <Show when={props.item.failed}>
            <button class="danger" onClick={() => run(client.retry(props.room.roomId, e().event_id.slice(1)))}>
              Not sent — retry
            </button>
          </Show>
          <Show when={props.item.reactions.length > 0}>
            <div class="reactions" role="group" aria-label="Reactions">
              <For each={props.item.reactions}>
                {(r) => (
                  <button
                    aria-pressed={r.ownEventId !== undefined}
                    title={r.senders.map((s) => memberName(props.room, s)).join(', ')}
                    aria-label={`${r.key} ${r.count}, from ${r.senders.map((s) => memberName(props.room, s)).join(', ')}`}
                    onClick={() => toggleReaction(r.key, r.ownEventId)}
                  >
                    {r.key} {r.count}
                  </button>
                )}
              </For>
            </div>
          </Show>
          <Show when={props.item.thread && props.actions.openThread}>
            <button class="thread-summary" onClick={() => props.actions.openThread?.(e().event_id)} aria-label={`Open thread, ${props.item.thread!.count} ${props.item.thread!.count === 1 ? 'reply' : 'replies'}`}>
              <Icon name="thread" size={16} />
              <strong>
                {props.item.thread!.count} {props.item.thread!.count === 1 ? 'reply' : 'replies'}
              </strong>
              <Show when={props.item.thread!.latest}>
                {(l) => (
                  <span class="hint">
                    {memberName(props.room, l().sender)}: {l().type === 'm.room.encrypted' ? 'Encrypted message' : stripReplyFallback(plainBody(l())).slice(0, 80)}
                  </span>
                )}
              </Show>
            </button>
          </Show>
          <Show when={props.item.readBy.length > 0}>
            <div class="receipts" aria-label={`Seen by ${props.item.readBy.map((u) => memberName(props.room, u)).join(', ')}`}>
              <For each={props.item.readBy.slice(0, 5)}>{(u) => <Avatar id={u} name={memberName(props.room, u)} url={memberAvatar(props.room, u)} size={16} />}</For>
              <Show when={props.item.readBy.length > 5}>
                <span class="hint">+{props.item.readBy.length - 5}</span>
              </Show>
            </div>
          </Show>
        </div>
        <Show when={!props.item.pending && !props.item.redacted}>
          <div class="actions" role="toolbar" aria-label="Message actions">
            <button class="icon" aria-label="React" title="React" aria-haspopup="dialog" onClick={() => setPicking(true)}>
              <Icon name="smile" size={18} />
            </button>
            <button class="icon" aria-label="Reply" title="Reply" onClick={() => props.actions.reply(props.item)}>
              <Icon name="reply" size={18} />
            </button>
            <Show when={props.actions.openThread && !props.item.failed}>
              <button class="icon" aria-label="Reply in thread" title="Reply in thread" onClick={() => props.actions.openThread?.(e().event_id)}>
                <Icon name="thread" size={18} />
              </button>
            </Show>
            <Show when={props.item.editable}>
              <button class="icon" aria-label="Edit" title="Edit" onClick={() => props.actions.edit(props.item)}>
                <Icon name="edit" size={18} />
              </button>
            </Show>
            <Show when={canDelete()}>
              <button
                class="icon"
                aria-label="Delete"
                title="Delete"
                onClick={() => {
                  if (confirm('Delete this message for everyone?')) run(client.redact(props.room.roomId, e().event_id));
                }}
              >
                <Icon name="trash" size={18} />
              </button>
            </Show>
          </div>
        </Show>
        <Show when={picking()}>
          <div style={{ position: 'absolute', right: '0.5rem', top: '1.5rem', 'z-index': 10 }}>
            <EmojiPicker
              label="Add a reaction"
              onClose={() => setPicking(false)}
              onPick={(emoji) => {
                setPicking(false);
                const own = props.item.reactions.find((r) => r.key === emoji)?.ownEventId;
                if (!own) toggleReaction(emoji, undefined);
              }}
            />
          </div>
        </Show>
      </li>
    </Show>
  );
}
