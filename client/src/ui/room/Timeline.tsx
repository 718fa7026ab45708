import { createEffect, createMemo, createSignal, on, onCleanup, onMount, Show } from 'solid-js';
import type { RoomData } from '../../matrix/sync/accumulator';
import { buildTimeline, firstUnread, latestReadable } from '../../matrix/timeline-view';
import { useClient } from '../context';
import { type TileActions } from './EventTile';
import { TimelineRows } from './TimelineRows';

/** Where each room was scrolled to (distance from the bottom), so returning to it restores it. */
const savedScroll = new Map<string, number>();

export function Timeline(props: { room: RoomData; actions: Omit<TileActions, 'jumpTo'>; focusEvent: string | undefined }) {
  const client = useClient();
  let scroller!: HTMLDivElement;
  let sentinel!: HTMLDivElement;
  const [atBottom, setAtBottom] = createSignal(true);
  const [loadingHistory, setLoadingHistory] = createSignal(false);
  const [highlight, setHighlight] = createSignal<string | undefined>();
  const roomId = props.room.roomId;

  const items = createMemo(() => buildTimeline(props.room, client.userId, client.pending[roomId] ?? [], client.decrypted));
  const unread = createMemo(() => firstUnread(props.room, client.userId));
  const [unreadSeen, setUnreadSeen] = createSignal(false);

  const fromBottom = (): number => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  const toBottom = (): void => {
    scroller.scrollTop = scroller.scrollHeight;
  };

  const jumpTo = (eventId: string): void => {
    const el = scroller.querySelector<HTMLElement>(`[data-event-id="${CSS.escape(eventId)}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
    setHighlight(eventId);
    setTimeout(() => setHighlight(undefined), 2000);
  };

  /** A message further back than what is loaded (a search result, a link): history is paged in until it is there. */
  let revealing = false;
  const reveal = async (eventId: string): Promise<void> => {
    if (!props.room.timeline.some((e) => e.event_id === eventId) && client.canPaginate(roomId)) {
      revealing = true;
      setLoadingHistory(true);
      try {
        await client.loadUntil(roomId, eventId);
      } catch (err) {
        props.actions.onError(err);
      } finally {
        revealing = false;
        setLoadingHistory(false);
      }
    }
    requestAnimationFrame(() => jumpTo(eventId));
  };

  const loadOlder = async (): Promise<void> => {
    if (revealing || loadingHistory() || !client.canPaginate(roomId)) return;
    setLoadingHistory(true);
    const before = fromBottom();
    try {
      await client.paginate(roomId);
    } catch (err) {
      props.actions.onError(err);
    } finally {
      setLoadingHistory(false);
    }
    // Keep what the reader was looking at in place while older messages appear above it.
    requestAnimationFrame(() => {
      scroller.scrollTop = scroller.scrollHeight - scroller.clientHeight - before;
      // Still at the top (a short page): keep going until the screen is full.
      if (scroller.scrollTop < 200 && client.canPaginate(roomId)) void loadOlder();
    });
  };

  const markRead = (): void => {
    if (!atBottom() || document.hidden || !document.hasFocus()) return;
    const last = latestReadable(props.room);
    if (last) void client.markRead(roomId, last);
  };

  onMount(() => {
    const saved = savedScroll.get(roomId);
    requestAnimationFrame(() => {
      if (props.focusEvent) void reveal(props.focusEvent);
      else if (saved !== undefined) scroller.scrollTop = scroller.scrollHeight - scroller.clientHeight - saved;
      else toBottom();
      setAtBottom(fromBottom() < 40);
    });
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadOlder();
    }, { root: scroller, rootMargin: '300px 0px 0px 0px' });
    io.observe(sentinel);
    window.addEventListener('focus', markRead);
    document.addEventListener('visibilitychange', markRead);
    onCleanup(() => {
      io.disconnect();
      window.removeEventListener('focus', markRead);
      document.removeEventListener('visibilitychange', markRead);
      savedScroll.set(roomId, fromBottom());
    });
  });

  // A new target while the room is open (a search result in this room) is jumped to as well.
  createEffect(
    on(
      () => props.focusEvent,
      (id) => {
        if (id) requestAnimationFrame(() => void reveal(id));
      },
      { defer: true },
    ),
  );

  // New messages at the bottom keep the view pinned there, unless the reader scrolled up.
  createEffect(
    on(
      () => items().length,
      () => {
        if (atBottom()) requestAnimationFrame(toBottom);
      },
    ),
  );
  // Any new event (edits and reactions too) moves our receipt while we are looking.
  createEffect(on(() => props.room.timeline.length, markRead));

  const onScroll = (): void => {
    setAtBottom(fromBottom() < 40);
    if (atBottom()) markRead();
    const u = unread();
    if (u && !unreadSeen()) {
      const el = scroller.querySelector(`[data-event-id="${CSS.escape(u.event_id)}"]`);
      if (el && el.getBoundingClientRect().top < scroller.getBoundingClientRect().bottom) setUnreadSeen(true);
    }
  };

  const tileActions: TileActions = { ...props.actions, jumpTo };

  return (
    <>
      <Show when={unread() && !unreadSeen() && !atBottom()}>
        <button
          class="jump"
          onClick={() => {
            jumpTo(unread()!.event_id);
            setUnreadSeen(true);
          }}
        >
          ↑ Jump to first unread
        </button>
      </Show>
      <div class="timeline" ref={scroller} onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite" tabindex="0">
        <div ref={sentinel} class="history-status">
          {loadingHistory() ? 'Loading older messages…' : props.room.historyComplete ? 'This is the start of the conversation.' : ' '}
        </div>
        <TimelineRows items={items()} room={props.room} actions={tileActions} highlighted={(key) => highlight() === key} />
      </div>
      <Show when={!atBottom()}>
        <button class="jump-bottom" aria-label="Jump to latest" onClick={toBottom}>
          ↓ Latest
        </button>
      </Show>
    </>
  );
}
