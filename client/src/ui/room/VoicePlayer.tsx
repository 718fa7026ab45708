import { createSignal, For, onCleanup, Show } from 'solid-js';
import type { JsonObject } from '../../matrix/types';
import { Icon } from '../common/Icon';
import { formatDuration, parseWaveform } from './waveform';

/** A flat line for audio that came without a waveform. */
const FLAT = Array.from({ length: 40 }, () => 300);

/**
 * Plays a voice message (or any audio) with its waveform: the bars fill as it plays, and a click
 * on them seeks. The audio is fetched (and decrypted) on the first play.
 */
export function VoicePlayer(props: { content: JsonObject; load: () => Promise<string | undefined>; label: string }) {
  const audioInfo = (): JsonObject => {
    const a = props.content['org.matrix.msc1767.audio'];
    return a && typeof a === 'object' ? (a as JsonObject) : {};
  };
  const info = (): JsonObject => (props.content.info && typeof props.content.info === 'object' ? (props.content.info as JsonObject) : {});
  const waveform = (): number[] => {
    const w = parseWaveform(audioInfo().waveform);
    return w.length > 0 ? w : FLAT;
  };
  const known = (): number => (typeof audioInfo().duration === 'number' ? (audioInfo().duration as number) : typeof info().duration === 'number' ? (info().duration as number) : 0);
  const [playing, setPlaying] = createSignal(false);
  const [position, setPosition] = createSignal(0);
  const [duration, setDuration] = createSignal(0);
  let audio: HTMLAudioElement | undefined;

  const ensure = async (): Promise<HTMLAudioElement | undefined> => {
    if (audio) return audio;
    const src = await props.load();
    if (!src) return undefined;
    const a = new Audio(src);
    a.ontimeupdate = () => setPosition(a.currentTime * 1000);
    a.onloadedmetadata = () => Number.isFinite(a.duration) && setDuration(a.duration * 1000);
    a.onplay = () => setPlaying(true);
    a.onpause = () => setPlaying(false);
    a.onended = () => {
      setPlaying(false);
      setPosition(0);
    };
    audio = a;
    return a;
  };
  onCleanup(() => audio?.pause());

  const toggle = async (): Promise<void> => {
    const a = await ensure();
    if (!a) return;
    if (a.paused) await a.play();
    else a.pause();
  };
  const total = (): number => duration() || known();
  const progress = (): number => (total() > 0 ? Math.min(1, position() / total()) : 0);
  const seek = async (e: MouseEvent): Promise<void> => {
    const a = await ensure();
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    if (!a || total() <= 0) return;
    a.currentTime = (((e.clientX - rect.left) / rect.width) * total()) / 1000;
    if (a.paused) await a.play();
  };

  return (
    <div class="media-file voice">
      <button class="icon play" aria-label={playing() ? `Pause ${props.label}` : `Play ${props.label}`} onClick={() => void toggle()}>
        <Icon name={playing() ? 'pause' : 'play'} size={18} />
      </button>
      <span class="waveform" role="slider" aria-label={`${props.label} position`} aria-valuemin={0} aria-valuemax={Math.round(total() / 1000)} aria-valuenow={Math.round(position() / 1000)} tabindex="0"
        onClick={(e) => void seek(e)}
        onKeyDown={(e) => {
          if (!audio || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
          e.preventDefault();
          audio.currentTime = Math.max(0, audio.currentTime + (e.key === 'ArrowRight' ? 5 : -5));
        }}
      >
        <For each={waveform()}>{(v, i) => <span classList={{ played: i() / waveform().length < progress() }} style={{ height: `${Math.max(8, (v / 1024) * 100)}%` }} />}</For>
      </span>
      <span class="hint">
        <Show when={playing() || position() > 0} fallback={formatDuration(total())}>
          {formatDuration(position())}
        </Show>
      </span>
    </div>
  );
}
