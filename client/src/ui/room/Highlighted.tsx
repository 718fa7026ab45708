import { For } from 'solid-js';

/** Text with each occurrence of `term` marked (case-insensitive); no HTML is interpreted. */
export function Highlighted(props: { text: string; term: string }) {
  const parts = (): string[] => {
    const t = props.term.trim();
    if (!t) return [props.text];
    const re = new RegExp(`(${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`, 'gi');
    return props.text.split(re);
  };
  return <span><For each={parts()}>{(p, i) => (i() % 2 === 1 ? <mark>{p}</mark> : p)}</For></span>;
}
