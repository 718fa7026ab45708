import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { markdownToHtml, stripReplyFallback } from '../../matrix/format';
import { members, memberName, type Member } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import type { EventItem } from '../../matrix/timeline-view';
import type { JsonObject } from '../../matrix/types';
import { loadDraft, saveDraft } from '../../state/prefs';
import { useClient } from '../context';
import { VoiceRecorder } from './VoiceRecorder';
import { Icon } from '../common/Icon';
import { EmojiPicker } from './EmojiPicker';
import { AttachmentTray, releaseAttachment, toAttachment, videoInfo, type Attachment } from './AttachmentTray';

export type ComposerMode = { kind: 'reply'; item: EventItem } | { kind: 'edit'; item: EventItem } | undefined;

/** A composer in a thread: replies carry the thread relation, falling back to the thread's latest message. */
export interface ThreadTarget {
  rootId: string;
  latest: () => string | undefined;
}

const escapeMd = (s: string): string => s.replace(/([\\[\]()*_`~])/g, '\\$1');

/** The @word being typed at the caret, if any. */
function mentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
  return m ? { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() } : undefined;
}

export function Composer(props: {
  room: RoomData;
  mode: ComposerMode;
  setMode: (m: ComposerMode) => void;
  onError: (err: unknown) => void;
  onEditLast: () => void;
  thread?: ThreadTarget;
  ref?: (api: { attach: (files: File[]) => void }) => void;
}) {
  const client = useClient();
  let textarea!: HTMLTextAreaElement;
  let fileInput!: HTMLInputElement;
  const roomId = props.room.roomId;
  // Element IDs and drafts are per composer: the room's, or a thread's beside it.
  const key = props.thread ? `${roomId}#${props.thread.rootId}` : roomId;
  const domId = props.thread ? 'thread-composer' : 'composer';
  const [attachments, setAttachments] = createSignal<Attachment[]>([]);
  const [uploading, setUploading] = createSignal(false);
  const [picking, setPicking] = createSignal(false);
  /** While a voice message is recorded, its controls take the whole row. */
  const [recording, setRecording] = createSignal(false);
  const [text, setText] = createSignal(loadDraft(key));
  const [caret, setCaret] = createSignal(0);
  const [selected, setSelected] = createSignal(0);
  /** Display names inserted as mentions, so sending can link them to their users. */
  const picked = new Map<string, string>();

  const attach = (files: File[]): void => {
    setAttachments((list) => [...list, ...files.map(toAttachment)]);
    queueMicrotask(() => textarea.focus());
  };
  props.ref?.({ attach });
  onCleanup(() => attachments().forEach(releaseAttachment));
  const remove = (id: number): void => {
    setAttachments((list) => {
      const gone = list.find((a) => a.id === id);
      if (gone) releaseAttachment(gone);
      return list.filter((a) => a.id !== id);
    });
  };
  const patch = (id: number, change: Partial<Attachment>): void => {
    setAttachments((list) => list.map((a) => (a.id === id ? { ...a, ...change } : a)));
  };

  /** The relation every message from this composer carries (none in the room's main timeline). */
  const threadRelation = (replyTo?: string): JsonObject => {
    if (!props.thread) return replyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } } : {};
    const fallback = replyTo ?? props.thread.latest() ?? props.thread.rootId;
    return { 'm.relates_to': { rel_type: 'm.thread', event_id: props.thread.rootId, is_falling_back: replyTo === undefined, 'm.in_reply_to': { event_id: fallback } } };
  };

  /** Uploads the attachments one by one, each with its progress; failed ones stay to retry. */
  const sendAttachments = async (): Promise<void> => {
    setUploading(true);
    try {
      for (const a of attachments()) {
        patch(a.id, { progress: 0, error: undefined });
        try {
          const extra: JsonObject = { ...threadRelation() };
          if (a.kind === 'video' && a.previewUrl) Object.assign(extra, (await videoInfo(a.previewUrl)) ?? {});
          await client.sendFile(roomId, a.file, a.file.name, extra, (f) => patch(a.id, { progress: f }));
          remove(a.id);
        } catch (err) {
          patch(a.id, { progress: undefined, error: `Not sent: ${describeError(err)}` });
        }
      }
    } finally {
      setUploading(false);
    }
  };

  const suggestions = createMemo((): Member[] => {
    const q = mentionQuery(text(), caret());
    if (!q) return [];
    return members(props.room)
      .filter((m) => m.membership === 'join' && m.userId !== client.userId && (m.name.toLowerCase().includes(q.query) || m.userId.toLowerCase().includes(q.query)))
      .slice(0, 6);
  });

  const resize = (): void => {
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, window.innerHeight * 0.4)}px`;
  };

  createEffect(
    on(
      () => props.mode,
      (mode) => {
        if (mode?.kind === 'edit') {
          const body = typeof mode.item.content.body === 'string' ? stripReplyFallback(mode.item.content.body) : '';
          setText(body);
        }
        if (mode) queueMicrotask(() => textarea.focus());
      },
      { defer: true },
    ),
  );

  const update = (value: string): void => {
    setText(value);
    setCaret(textarea.selectionStart);
    setSelected(0);
    if (props.mode?.kind !== 'edit') saveDraft(key, value);
    void client.setTyping(roomId, value.trim().length > 0);
    resize();
  };

  const insertAtCaret = (s: string): void => {
    const start = textarea.selectionStart;
    const end = textarea.selectionEnd;
    const value = `${text().slice(0, start)}${s}${text().slice(end)}`;
    update(value);
    queueMicrotask(() => {
      textarea.focus();
      textarea.setSelectionRange(start + s.length, start + s.length);
      setCaret(start + s.length);
    });
  };

  const pick = (m: Member): void => {
    const q = mentionQuery(text(), caret());
    if (!q) return;
    const before = text().slice(0, q.start);
    const after = text().slice(caret());
    const value = `${before}${m.name} ${after}`;
    picked.set(m.name, m.userId);
    update(value);
    const pos = before.length + m.name.length + 1;
    queueMicrotask(() => {
      textarea.setSelectionRange(pos, pos);
      setCaret(pos);
    });
  };

  const contentFor = (body: string): JsonObject => {
    const userIds: string[] = [];
    let markdown = body;
    for (const [name, userId] of picked) {
      if (!body.includes(name)) continue;
      userIds.push(userId);
      markdown = markdown.split(name).join(`[${escapeMd(name)}](https://matrix.to/#/${userId})`);
    }
    const html = markdownToHtml(markdown);
    return {
      msgtype: 'm.text',
      body,
      ...(html ? { format: 'org.matrix.custom.html', formatted_body: html } : {}),
      'm.mentions': userIds.length ? { user_ids: userIds } : {},
    };
  };

  const send = async (): Promise<void> => {
    if (uploading()) return;
    const body = text().trim();
    if (attachments().length > 0) await sendAttachments();
    if (!body) return;
    const mode = props.mode;
    setText('');
    saveDraft(key, '');
    picked.clear();
    props.setMode(undefined);
    queueMicrotask(resize);
    const content = contentFor(body);
    try {
      if (mode?.kind === 'edit') {
        const { 'm.mentions': mentionsField, ...newContent } = content;
        await client.sendMessage(roomId, {
          msgtype: 'm.text',
          body: `* ${body}`,
          'm.new_content': { ...newContent, 'm.mentions': mentionsField },
          'm.mentions': mentionsField,
          'm.relates_to': { rel_type: 'm.replace', event_id: mode.item.event.event_id },
        });
      } else if (mode?.kind === 'reply') {
        const parent = mode.item.event;
        const mentionIds = [...new Set([...(((content['m.mentions'] as JsonObject).user_ids as string[] | undefined) ?? []), ...(parent.sender !== client.userId ? [parent.sender] : [])])];
        await client.sendMessage(roomId, { ...content, 'm.mentions': { user_ids: mentionIds }, ...threadRelation(parent.event_id) });
      } else {
        await client.sendMessage(roomId, { ...content, ...threadRelation() });
      }
    } catch (err) {
      props.onError(err);
    }
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    const list = suggestions();
    if (list.length > 0 && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      setSelected((s) => (s + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length);
      return;
    }
    if (list.length > 0 && (e.key === 'Tab' || e.key === 'Enter')) {
      e.preventDefault();
      pick(list[selected()] ?? list[0]!);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'Escape' && props.mode) {
      e.preventDefault();
      if (props.mode.kind === 'edit') setText(loadDraft(key));
      props.setMode(undefined);
    } else if (e.key === 'ArrowUp' && text() === '') {
      e.preventDefault();
      props.onEditLast();
    }
  };

  const label = props.thread ? 'Reply in thread' : 'Message';
  return (
    <div class="composer">
      <Show when={props.mode}>
        {(mode) => (
          <div class="context">
            <span class="grow">
              {mode().kind === 'edit' ? 'Editing your message' : `Replying to ${memberName(props.room, mode().item.event.sender)}`}
            </span>
            <button class="icon" aria-label="Cancel" onClick={() => props.setMode(undefined)}>
              <Icon name="close" />
            </button>
          </div>
        )}
      </Show>
      <Show when={attachments().length > 0}>
        <AttachmentTray items={attachments()} busy={uploading()} onRemove={remove} />
      </Show>
      <Show when={suggestions().length > 0}>
        <ul class="suggestions" role="listbox" id={`${domId}-mentions`} aria-label="Mention someone">
          <For each={suggestions()}>
            {(m, i) => (
              <li role="option" aria-selected={i() === selected()} onPointerDown={(e) => (e.preventDefault(), pick(m))}>
                {m.name} <span class="hint">{m.userId}</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="row" classList={{ 'is-recording': recording() }} style={{ position: 'relative' }}>
        <input
          ref={fileInput}
          type="file"
          multiple
          class="sr-only"
          tabindex="-1"
          aria-hidden="true"
          onChange={(e) => {
            attach([...(e.currentTarget.files ?? [])]);
            e.currentTarget.value = '';
          }}
        />
        <button class="icon" aria-label="Attach files" title="Attach files" onClick={() => fileInput.click()}>
          <Icon name="attach" />
        </button>
        <Show when={!props.thread}>
          <VoiceRecorder room={props.room} onError={props.onError} extra={() => threadRelation()} onRecording={setRecording} />
        </Show>
        <button class="icon" aria-label="Insert emoji" title="Insert emoji" aria-haspopup="dialog" aria-expanded={picking()} onClick={() => setPicking(!picking())}>
          <Icon name="smile" />
        </button>
        <Show when={picking()}>
          <div style={{ position: 'absolute', bottom: '3rem', left: 0, 'z-index': 10 }}>
            <EmojiPicker
              label="Insert emoji"
              onClose={() => setPicking(false)}
              onPick={(emoji) => {
                setPicking(false);
                insertAtCaret(emoji);
              }}
            />
          </div>
        </Show>
        <label class="sr-only" for={`${domId}-input`}>
          {label}
        </label>
        <textarea
          id={`${domId}-input`}
          ref={textarea}
          rows="1"
          placeholder={label}
          value={text()}
          aria-autocomplete="list"
          aria-controls={suggestions().length > 0 ? `${domId}-mentions` : undefined}
          onInput={(e) => update(e.currentTarget.value)}
          onKeyDown={onKeyDown}
          onKeyUp={() => setCaret(textarea.selectionStart)}
          onClick={() => setCaret(textarea.selectionStart)}
          onBlur={() => void client.setTyping(roomId, false)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length > 0) {
              e.preventDefault();
              attach(files);
            }
          }}
        />
        <button class="primary" aria-label={props.thread ? 'Send in thread' : 'Send'} onClick={() => void send()} disabled={uploading() || (!text().trim() && attachments().length === 0)}>
          Send
        </button>
      </div>
    </div>
  );
}
