import { For, Match, Show, Switch } from 'solid-js';
import { Icon } from '../common/Icon';
import { sizeLabel } from '../common/format';

/** A file chosen to send: previewed first, then uploaded with its progress shown. */
export interface Attachment {
  id: number;
  file: File;
  /** An object URL for the preview (images and videos); released when the attachment goes. */
  previewUrl: string | undefined;
  kind: 'image' | 'video' | 'audio' | 'file';
  /** 0–1 while uploading. */
  progress: number | undefined;
  error: string | undefined;
}

let nextId = 1;

export function toAttachment(file: File): Attachment {
  const kind = file.type.startsWith('image/') ? 'image' : file.type.startsWith('video/') ? 'video' : file.type.startsWith('audio/') ? 'audio' : 'file';
  return { id: nextId++, file, kind, previewUrl: kind === 'image' || kind === 'video' ? URL.createObjectURL(file) : undefined, progress: undefined, error: undefined };
}

export function releaseAttachment(a: Attachment): void {
  if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
}

/** Width, height and duration of a video, read from its metadata (or nothing, after a while). */
export function videoInfo(url: string): Promise<{ w: number; h: number; duration: number } | undefined> {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    const timer = setTimeout(() => resolve(undefined), 3000);
    v.preload = 'metadata';
    v.muted = true;
    v.onloadedmetadata = () => {
      clearTimeout(timer);
      resolve(v.videoWidth ? { w: v.videoWidth, h: v.videoHeight, duration: Number.isFinite(v.duration) ? Math.round(v.duration * 1000) : 0 } : undefined);
    };
    v.onerror = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
    v.src = url;
  });
}

/** The files waiting above the composer: previews, sizes, a remove button, and upload progress. */
export function AttachmentTray(props: { items: Attachment[]; busy: boolean; onRemove: (id: number) => void }) {
  return (
    <ul class="attachments" aria-label="Files to send">
      <For each={props.items}>
        {(a) => (
          <li classList={{ failed: a.error !== undefined }}>
            <div class="thumb">
              <Switch fallback={<Icon name="attach" size={22} />}>
                <Match when={a.kind === 'image' && a.previewUrl}>{(u) => <img src={u()} alt={`Preview of ${a.file.name}`} />}</Match>
                <Match when={a.kind === 'video' && a.previewUrl}>{(u) => <video src={u()} muted preload="metadata" aria-label={`Preview of ${a.file.name}`} />}</Match>
              </Switch>
            </div>
            <div class="grow" style={{ 'min-width': 0 }}>
              <div class="name">{a.file.name}</div>
              <div class="hint">{a.error ?? sizeLabel(a.file.size)}</div>
              <Show when={a.progress !== undefined}>
                <progress max="1" value={a.progress} aria-label={`Uploading ${a.file.name}`} />
              </Show>
            </div>
            <Show when={a.progress === undefined && !props.busy}>
              <button class="icon" aria-label={`Remove ${a.file.name}`} onClick={() => props.onRemove(a.id)}>
                <Icon name="close" size={16} />
              </button>
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}
