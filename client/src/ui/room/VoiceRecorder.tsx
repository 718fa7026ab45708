import { createSignal, For, onCleanup, Show } from 'solid-js';
import type { RoomData } from '../../matrix/sync/accumulator';
import type { JsonObject } from '../../matrix/types';
import { Icon } from '../common/Icon';
import { useClient } from '../context';
import { formatDuration, resampleWaveform, rmsLevel } from './waveform';

/** How often loudness is sampled while recording; the sent waveform has WAVEFORM_BARS bars. */
const SAMPLE_MS = 100;
const WAVEFORM_BARS = 64;

/**
 * Records a voice message with the microphone: click to start, watch its waveform grow, then send
 * or cancel. The waveform and duration go with it (MSC3245 voice, MSC1767 audio) for the player.
 */
export function VoiceRecorder(props: { room: RoomData; onError: (err: unknown) => void; extra?: () => JsonObject; onRecording?: (on: boolean) => void }) {
  const client = useClient();
  const [recording, setRecording] = createSignal(false);
  const [elapsed, setElapsed] = createSignal(0);
  const [levels, setLevels] = createSignal<number[]>([]);
  let recorder: MediaRecorder | undefined;
  let audio: AudioContext | undefined;
  let chunks: Blob[] = [];
  let started = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let send = false;

  const release = (): void => {
    recorder?.stream.getTracks().forEach((t) => t.stop());
    void audio?.close().catch(() => undefined);
    audio = undefined;
    clearInterval(timer);
    setRecording(false);
    props.onRecording?.(false);
  };

  const start = async (): Promise<void> => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/webm'].find((t) => MediaRecorder.isTypeSupported(t));
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      // Loudness comes from an analyser on the same stream (the recording itself is compressed).
      audio = new AudioContext();
      const analyser = audio.createAnalyser();
      analyser.fftSize = 1024;
      audio.createMediaStreamSource(stream).connect(analyser);
      const buffer = new Float32Array(analyser.fftSize);
      chunks = [];
      setLevels([]);
      recorder.ondataavailable = (e) => chunks.push(e.data);
      recorder.onstop = () => {
        const duration = Date.now() - started;
        const waveform = resampleWaveform(levels(), WAVEFORM_BARS);
        release();
        if (!send || chunks.length === 0) return;
        const mime = recorder?.mimeType.split(';')[0] || 'audio/webm';
        const blob = new Blob(chunks, { type: mime });
        const name = `Voice message.${mime.includes('ogg') ? 'ogg' : 'webm'}`;
        void client
          .sendFile(props.room.roomId, blob, name, { ...(props.extra?.() ?? {}), duration, 'org.matrix.msc3245.voice': {}, 'org.matrix.msc1767.audio': { duration, waveform } })
          .catch((err: unknown) => props.onError(err));
      };
      started = Date.now();
      send = false;
      recorder.start();
      setRecording(true);
      props.onRecording?.(true);
      setElapsed(0);
      timer = setInterval(() => {
        analyser.getFloatTimeDomainData(buffer);
        setLevels((l) => [...l, rmsLevel(buffer)]);
        setElapsed(Date.now() - started);
      }, SAMPLE_MS);
    } catch (err) {
      release();
      props.onError(err instanceof DOMException && err.name === 'NotAllowedError' ? new Error('Hearth may not use the microphone (check the browser’s permission).') : err);
    }
  };

  const stop = (andSend: boolean): void => {
    send = andSend;
    recorder?.stop();
  };
  onCleanup(() => {
    if (recorder?.state === 'recording') stop(false);
    release();
  });
  // The live view shows the latest few seconds, scaled to the loudest so far.
  const bars = (): number[] => {
    const l = levels().slice(-40);
    const max = Math.max(0.02, ...levels());
    return l.map((v) => v / max);
  };

  return (
    <Show
      when={recording()}
      fallback={
        <button class="icon" aria-label="Record a voice message" title="Record a voice message" onClick={() => void start()}>
          <Icon name="mic" />
        </button>
      }
    >
      <span class="row recording" role="status" aria-live="polite" aria-label={`Recording, ${formatDuration(elapsed())}`}>
        <span class="badge mention">● {formatDuration(elapsed())}</span>
        <span class="waveform live" aria-hidden="true">
          <For each={bars()}>{(v) => <span style={{ height: `${Math.max(8, v * 100)}%` }} />}</For>
        </span>
        <button onClick={() => stop(false)}>Cancel</button>
        <button class="primary" onClick={() => stop(true)}>
          Send voice
        </button>
      </span>
    </Show>
  );
}
