import { createResource, createSignal, Match, Show, Switch } from 'solid-js';
import type { JsonObject } from '../../matrix/types';
import { Icon } from '../common/Icon';
import { useClient } from '../context';
import { sizeLabel } from '../common/format';
import { VoicePlayer } from './VoicePlayer';

/**
 * Images, files, audio and video. Content is fetched with our token (authenticated media) into
 * object URLs: thumbnails at once, full content when asked for.
 */
export function MediaBody(props: { content: JsonObject; onError: (err: unknown) => void }) {
  const client = useClient();
  const info = (): JsonObject => (props.content.info && typeof props.content.info === 'object' ? (props.content.info as JsonObject) : {});
  /** Encrypted media carries `file` (with the key) instead of `url`. */
  const encFile = (): JsonObject | undefined => (props.content.file && typeof props.content.file === 'object' ? (props.content.file as JsonObject) : undefined);
  const url = (): string | undefined => {
    const u = encFile()?.url ?? props.content.url;
    return typeof u === 'string' ? u : undefined;
  };
  const name = (): string => (typeof props.content.filename === 'string' ? props.content.filename : typeof props.content.body === 'string' ? props.content.body : 'file');
  const [thumb] = createResource(
    () => (props.content.msgtype === 'm.image' ? ((typeof info().thumbnail_url === 'string' ? info().thumbnail_url : url()) as string | undefined) : undefined),
    // The server cannot thumbnail ciphertext: encrypted images are fetched whole and decrypted.
    (u) => (encFile() ? client.media.url(u, encFile()) : client.media.thumbnail(u, 480)).catch(() => undefined),
  );
  const [full, setFull] = createSignal<string>();
  const [open, setOpen] = createSignal(false);
  const load = async (): Promise<string | undefined> => {
    const u = url();
    if (!u) return undefined;
    try {
      const src = await client.media.url(u, encFile());
      setFull(src);
      return src;
    } catch (err) {
      props.onError(err);
      return undefined;
    }
  };
  const save = async (): Promise<void> => {
    const src = full() ?? (await load());
    if (!src) return;
    const a = document.createElement('a');
    a.href = src;
    a.download = name();
    a.click();
  };
  const w = (): number | undefined => (typeof info().w === 'number' ? (info().w as number) : undefined);
  const h = (): number | undefined => (typeof info().h === 'number' ? (info().h as number) : undefined);
  const box = (): { width: string; 'aspect-ratio'?: string } => {
    const width = Math.min(w() ?? 320, 320);
    return { width: `min(${width}px, 100%)`, ...(w() && h() ? { 'aspect-ratio': `${w()} / ${h()}` } : {}) };
  };

  return (
    <Switch>
      <Match when={props.content.msgtype === 'm.image'}>
        <button
          class="media-image"
          style={box()}
          aria-label={`Open image ${name()}`}
          onClick={() => {
            setOpen(true);
            void load();
          }}
        >
          <Show when={thumb()} fallback={<span class="muted">{thumb.loading ? 'Loading image…' : `🖼 ${name()}`}</span>}>
            {(src) => <img src={src()} alt={name()} />}
          </Show>
        </button>
        <Show when={open()}>
          <div class="lightbox" role="dialog" aria-label={name()} onClick={() => setOpen(false)} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
            <img src={full() ?? thumb()} alt={name()} />
            <div class="row">
              <button onClick={(e) => (e.stopPropagation(), void save())}>
                <Icon name="download" size={16} /> Save
              </button>
              <button autofocus onClick={() => setOpen(false)}>
                Close
              </button>
            </div>
          </div>
        </Show>
      </Match>
      <Match when={props.content.msgtype === 'm.audio'}>
        <VoicePlayer content={props.content} load={load} label={props.content['org.matrix.msc3245.voice'] !== undefined ? 'voice message' : name()} />
      </Match>
      <Match when={props.content.msgtype === 'm.video'}>
        <div class="media-file">
          <Show when={full()} fallback={<button onClick={() => void load()}>▶ Play video {name()}</button>}>
            {(src) => <video src={src()} controls style={{ 'max-width': '100%', 'max-height': '360px' }} aria-label={name()} />}
          </Show>
        </div>
      </Match>
      <Match when={true}>
        <div class="media-file">
          <Icon name="attach" size={18} />
          <span class="grow">
            {name()} <span class="hint">{sizeLabel(info().size)}</span>
          </span>
          <button onClick={() => void save()} aria-label={`Download ${name()}`}>
            <Icon name="download" size={16} /> Download
          </button>
        </div>
      </Match>
    </Switch>
  );
}
