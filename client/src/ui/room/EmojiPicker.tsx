import { createMemo, createSignal, For, onCleanup, onMount } from 'solid-js';

/** A compact set: the reactions people actually use, with names to search by. */
const EMOJI: Array<[string, string]> = [
  ['👍', 'thumbs_up yes +1'], ['👎', 'thumbs_down no -1'], ['❤️', 'heart love'], ['😂', 'joy laugh tears'], ['😮', 'wow surprised'],
  ['😢', 'sad cry'], ['🎉', 'tada party celebrate'], ['🙏', 'thanks pray please'], ['👀', 'eyes look'], ['🔥', 'fire hot'],
  ['✅', 'check done'], ['❌', 'cross no'], ['😀', 'grin smile'], ['😄', 'smile happy'], ['😅', 'sweat_smile'], ['🤣', 'rofl'],
  ['😊', 'blush'], ['😍', 'heart_eyes love'], ['😘', 'kiss'], ['😎', 'sunglasses cool'], ['🤔', 'thinking hmm'], ['😐', 'neutral'],
  ['🙄', 'eye_roll'], ['😴', 'sleep'], ['🤯', 'mind_blown'], ['🥳', 'partying party face'], ['😡', 'angry'], ['🤝', 'handshake deal'],
  ['👏', 'clap applause'], ['🙌', 'raised_hands hooray'], ['💪', 'strong muscle'], ['👋', 'wave hello bye'], ['🤞', 'fingers_crossed luck'],
  ['👌', 'ok'], ['✌️', 'peace victory'], ['🫡', 'salute'], ['💯', 'hundred'], ['⭐', 'star'], ['✨', 'sparkles'], ['🚀', 'rocket launch'],
  ['💡', 'idea bulb'], ['📌', 'pin'], ['📎', 'paperclip attach'], ['📅', 'calendar date'], ['⏰', 'alarm clock time'], ['☕', 'coffee'],
  ['🍕', 'pizza'], ['🍺', 'beer'], ['🎂', 'cake birthday'], ['🎁', 'gift present'], ['🐛', 'bug'], ['🔧', 'wrench fix'], ['⚠️', 'warning'],
  ['❓', 'question'], ['❗', 'exclamation'], ['➕', 'plus add'], ['🆗', 'ok_button'], ['🌞', 'sun'], ['🌧️', 'rain'], ['❄️', 'snow cold'],
  ['🐱', 'cat'], ['🐶', 'dog'], ['🦊', 'fox'], ['🌱', 'seedling plant'], ['🏠', 'home house'], ['🔒', 'lock secure'], ['🔑', 'key'],
];

/** Picks an emoji: type to filter, arrows/Tab to move, Enter to choose, Escape to close. */
export function EmojiPicker(props: { onPick: (emoji: string) => void; onClose: () => void; label: string }) {
  const [q, setQ] = createSignal('');
  let root!: HTMLDivElement;
  let input!: HTMLInputElement;
  const shown = createMemo(() => {
    const t = q().trim().toLowerCase();
    return t ? EMOJI.filter(([e, names]) => names.replace(/_/g, ' ').includes(t) || e === t) : EMOJI;
  });
  const outside = (e: PointerEvent): void => {
    if (!root.contains(e.target as Node)) props.onClose();
  };
  onMount(() => {
    input.focus();
    document.addEventListener('pointerdown', outside);
  });
  onCleanup(() => document.removeEventListener('pointerdown', outside));
  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onClose();
    } else if (e.key === 'Enter' && e.target === input && shown()[0]) {
      e.preventDefault();
      props.onPick(shown()[0]![0]);
    } else if (e.key.startsWith('Arrow') && e.target !== input) {
      const buttons = [...root.querySelectorAll<HTMLButtonElement>('.grid button')];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[e.key] ?? 0;
      buttons[Math.max(0, Math.min(buttons.length - 1, at + step))]?.focus();
      e.preventDefault();
    }
  };
  return (
    <div class="emoji-picker" ref={root} role="dialog" aria-label={props.label} onKeyDown={onKeyDown}>
      <input ref={input} type="search" placeholder="Search emoji" aria-label="Search emoji" value={q()} onInput={(e) => setQ(e.currentTarget.value)} />
      <div class="grid" role="group" aria-label="Emoji">
        <For each={shown()}>
          {([emoji, names]) => (
            <button type="button" title={names.split(' ')[0]!.replace('_', ' ')} aria-label={names.split(' ')[0]!.replace('_', ' ')} onClick={() => props.onPick(emoji)}>
              {emoji}
            </button>
          )}
        </For>
      </div>
    </div>
  );
}
