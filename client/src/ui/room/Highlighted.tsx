import { For } from 'solid-js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Text with each occurrence of `term` marked (case-insensitive), and of each of `words` (what
 * server-side search matched); no HTML is interpreted.
 */
export function Highlighted(props: { text: string; term: string; words?: readonly string[] }) {
  const parts = (): string[] => {
    const all = [props.term.trim(), ...(props.words ?? [])].filter((w) => w.length > 0).sort((a, b) => b.length - a.length);
    if (all.length === 0) return [props.text];
    const re = new RegExp(`(${all.map(escape).join('|')})`, 'gi');
    return props.text.split(re);
  };
  return <span><For each={parts()}>{(p, i) => (i() % 2 === 1 ? <mark>{p}</mark> : p)}</For></span>;
}
