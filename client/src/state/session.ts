import { createSignal } from 'solid-js';

/** A signed-in session; kept in localStorage so a reload stays signed in. */
export interface Session {
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

const KEY = 'hearth.session';

function read(): Session | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    const s = raw ? (JSON.parse(raw) as Partial<Session>) : undefined;
    if (s && typeof s.homeserverUrl === 'string' && typeof s.userId === 'string' && typeof s.accessToken === 'string') {
      return { homeserverUrl: s.homeserverUrl, userId: s.userId, accessToken: s.accessToken, deviceId: s.deviceId ?? '' };
    }
  } catch {
    // A corrupt entry is as good as none.
  }
  return undefined;
}

const [session, setSessionSignal] = createSignal<Session | undefined>(read());

export { session };

export function setSession(s: Session | undefined): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  setSessionSignal(s);
}

/** The homeserver the login form starts with: the last one used, else the page's own origin. */
export function defaultHomeserver(): string {
  return localStorage.getItem('hearth.lastHomeserver') ?? window.location.origin;
}

export function rememberHomeserver(url: string): void {
  localStorage.setItem('hearth.lastHomeserver', url);
}
