import { createSignal } from 'solid-js';

export type Theme = 'system' | 'light' | 'dark';

const [theme, setThemeSignal] = createSignal<Theme>((localStorage.getItem('hearth.theme') as Theme | null) ?? 'system');

export { theme };

export function setTheme(t: Theme): void {
  localStorage.setItem('hearth.theme', t);
  setThemeSignal(t);
  applyTheme();
}

export function applyTheme(): void {
  const t = theme();
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

const [notify, setNotifySignal] = createSignal(localStorage.getItem('hearth.notify') === '1');
export { notify };

export async function setNotify(on: boolean): Promise<void> {
  if (on && 'Notification' in window && Notification.permission !== 'granted') {
    const p = await Notification.requestPermission();
    if (p !== 'granted') on = false;
  }
  localStorage.setItem('hearth.notify', on ? '1' : '0');
  setNotifySignal(on);
}

/** Drafts survive switching rooms and reloads; they are per browser, not synced. */
export function loadDraft(roomId: string): string {
  return localStorage.getItem(`hearth.draft.${roomId}`) ?? '';
}

export function saveDraft(roomId: string, text: string): void {
  if (text) localStorage.setItem(`hearth.draft.${roomId}`, text);
  else localStorage.removeItem(`hearth.draft.${roomId}`);
}
