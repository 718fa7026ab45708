import { createSignal, onCleanup, Show } from 'solid-js';
import type { RoomData } from '../../matrix/sync/accumulator';
import { Icon } from '../common/Icon';
import { useClient } from '../context';

/** Records a voice message with the microphone: click to start, then send or cancel. */
export function VoiceRecorder(props: { room: RoomData; onError: (err: unknown) => void }) {
  const client = useClient();
  const [recording, setRecording] = createSignal(false);
  const [seconds, setSeconds] = createSignal(0);
  let recorder: MediaRecorder | undefined;
  let chunks: Blob[] = [];
  let started = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let send = false;

  const stopTracks = (): void => recorder?.stream.getTracks().forEach((t) => t.stop());
  const reset = (): void => {
    clearInterval(timer);
    setRecording(false);
    setSeconds(0);
  };

  const start = async (): Promise<void> => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/webm'].find((t) => MediaRecorder.isTypeSupported(t));
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      chunks = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      recorder.onstop = () => {
        stopTracks();
        const duration = Date.now() - started;
        reset();
        if (!send || chunks.length === 0) return;
        const mime = recorder?.mimeType.split(';')[0] || 'audio/webm';
        const blob = new Blob(chunks, { type: mime });
        const name = `Voice message.${mime.includes('ogg') ? 'ogg' : 'webm'}`;
        void client
          .sendFile(props.room.roomId, blob, name, { duration, 'org.matrix.msc3245.voice': {}, 'org.matrix.msc1767.audio': { duration } })
          .catch((err: unknown) => props.onError(err));
      };
      started = Date.now();
      send = false;
      recorder.start();
      setRecording(true);
      timer = setInterval(() => setSeconds(Math.round((Date.now() - started) / 1000)), 500);
    } catch (err) {
      props.onError(err instanceof DOMException && err.name === 'NotAllowedError' ? new Error('Hearth may not use the microphone (check the browser’s permission).') : err);
    }
  };

  const stop = (andSend: boolean): void => {
    send = andSend;
    recorder?.stop();
  };
  onCleanup(() => {
    if (recorder?.state === 'recording') stop(false);
    clearInterval(timer);
  });

  return (
    <Show
      when={recording()}
      fallback={
        <button class="icon" aria-label="Record a voice message" title="Record a voice message" onClick={() => void start()}>
          <Icon name="mic" />
        </button>
      }
    >
      <span class="row" role="status" aria-live="polite">
        <span class="badge mention">● {Math.floor(seconds() / 60)}:{String(seconds() % 60).padStart(2, '0')}</span>
        <button onClick={() => stop(false)}>Cancel</button>
        <button class="primary" onClick={() => stop(true)}>
          Send voice
        </button>
      </span>
    </Show>
  );
}
