import { createSignal } from 'solid-js';
import { discoverHomeserver, serverOfUserId } from '../../matrix/discovery';

/** The homeserver URL, with .well-known discovery when the user types a full Matrix ID. */
export function useHomeserver(initial: string) {
  const [url, setUrl] = createSignal(initial);
  const [note, setNote] = createSignal('');
  const discoverFrom = async (userId: string): Promise<void> => {
    const server = serverOfUserId(userId);
    if (!server) return;
    try {
      const found = await discoverHomeserver(server);
      setUrl(found);
      setNote(`Found the homeserver for ${server}.`);
    } catch {
      setNote(`Could not discover ${server}; using the address below.`);
    }
  };
  return { url, setUrl, note, discoverFrom };
}

export function HomeserverInput(props: { url: string; onInput: (v: string) => void; note: string }) {
  return (
    <details open={props.url !== window.location.origin}>
      <summary>Homeserver: {props.url.replace(/^https?:\/\//, '')}</summary>
      <label for="hs-url">Homeserver URL</label>
      <input id="hs-url" name="homeserver" type="url" inputmode="url" autocomplete="url" value={props.url} onInput={(e) => props.onInput(e.currentTarget.value)} required />
      <p class="hint">{props.note || 'Where your account lives. Signing in with @you:server finds it for you.'}</p>
    </details>
  );
}
