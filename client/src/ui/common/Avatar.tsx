import { createResource, Show } from 'solid-js';
import { useClient } from '../context';

const COLOURS = ['#1f6f5c', '#7c3aed', '#b45309', '#be123c', '#0369a1', '#4d7c0f', '#a21caf', '#0f766e'];

function colourFor(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLOURS[h % COLOURS.length]!;
}

function initial(name: string): string {
  const s = name.replace(/^[@#!+]/, '').trim();
  return (s.codePointAt(0) ? String.fromCodePoint(s.codePointAt(0)!) : '?').toUpperCase();
}

/**
 * A user or room picture: the mxc thumbnail when there is one (fetched with our token, cached),
 * else a coloured initial. Decorative: the name is always next to it.
 */
export interface PresenceDot {
  presence: string;
  statusMsg: string | undefined;
}

export function Avatar(props: { id: string; name: string; url?: string | undefined; size?: number; presence?: PresenceDot | undefined }) {
  const client = useClient();
  const size = (): number => props.size ?? 36;
  const [src] = createResource(
    () => props.url,
    (url) => client.media.thumbnail(url, size() * 2).catch(() => undefined),
  );
  const face = (
    <span class="avatar" aria-hidden="true" style={{ width: `${size()}px`, height: `${size()}px`, background: colourFor(props.id), 'font-size': `${Math.round(size() * 0.45)}px` }}>
      <Show when={src()} fallback={initial(props.name)}>
        {(s) => <img src={s()} alt="" />}
      </Show>
    </span>
  );
  // The dot is the only visual cue, so its state is also given in words (title and label).
  return (
    <Show when={props.presence} fallback={face}>
      {(p) => (
        <span class="avatar-wrap">
          {face}
          <span
            class={`presence-dot ${p().presence}`}
            role="img"
            aria-label={presenceLabel(p())}
            title={presenceLabel(p())}
          />
        </span>
      )}
    </Show>
  );
}

export function presenceLabel(p: PresenceDot): string {
  const state = p.presence === 'online' ? 'Online' : p.presence === 'unavailable' ? 'Away' : 'Offline';
  return p.statusMsg ? `${state}: ${p.statusMsg}` : state;
}
