import { createContext, useContext } from 'solid-js';
import type { HearthClient } from '../state/client';

export const ClientContext = createContext<HearthClient>();

export function useClient(): HearthClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useClient outside a signed-in view');
  return c;
}
