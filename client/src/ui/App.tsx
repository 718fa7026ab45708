import { Navigate, Route, Router, useLocation, type RouteSectionProps } from '@solidjs/router';
import { createEffect, createResource, on, onCleanup, Show, type JSX } from 'solid-js';
import { HearthClient } from '../state/client';
import { session, setSession } from '../state/session';
import { Login } from './auth/Login';
import { Register } from './auth/Register';
import { ClientContext } from './context';
import { RoomList } from './rooms/RoomList';
import { NewDm } from './rooms/NewDm';
import { NewGroup } from './rooms/NewGroup';
import { RoomView } from './room/RoomView';
import { Settings } from './settings/Settings';
import { SearchView } from './rooms/SearchView';
import { Explore } from './rooms/Explore';
import { VerificationDialog } from './crypto/VerificationDialog';

/** The signed-in frame: one client per session, the room list beside whatever route is open. */
function SignedIn(props: RouteSectionProps) {
  const location = useLocation();
  const [client] = createResource(session, async (s) => {
    const c = await HearthClient.open(s, () => {
      // The server no longer knows this session (signed out elsewhere): back to the login screen.
      // Only if it is still the current one: a late answer to a session already left must not
      // sign out the next.
      void c.forget().then(() => {
        if (session()?.accessToken === s.accessToken) setSession(undefined);
      });
    });
    return c;
  });
  // A new session (or leaving the signed-in views) ends the previous client's sync.
  createEffect(on(client, (c) => onCleanup(() => c?.stop())));
  return (
    <Show when={session()} fallback={<Navigate href="/login" />}>
      <Show when={client()} fallback={<p class="empty">Opening…</p>}>
        {(c) => (
          <ClientContext.Provider value={c()}>
            <div class="shell" classList={{ 'in-room': location.pathname !== '/' }}>
              <nav class="sidebar" aria-label="Rooms">
                <RoomList />
              </nav>
              <main class="main">{props.children}</main>
            </div>
            <Show when={c().verifications().at(-1)}>{(v) => <VerificationDialog active={v()} />}</Show>
          </ClientContext.Provider>
        )}
      </Show>
    </Show>
  );
}

function SignedOutOnly(props: { children: JSX.Element }) {
  return (
    <Show when={!session()} fallback={<Navigate href="/" />}>
      {props.children}
    </Show>
  );
}

function Home() {
  return (
    <div class="empty">
      <p>Pick a room, or start a conversation.</p>
    </div>
  );
}

export function App() {
  return (
    <Router>
      <Route path="/login" component={() => <SignedOutOnly><Login /></SignedOutOnly>} />
      <Route path="/register" component={() => <SignedOutOnly><Register /></SignedOutOnly>} />
      <Route path="/" component={SignedIn}>
        <Route path="/" component={Home} />
        <Route path="/room/:roomId" component={RoomView} />
        <Route path="/new/dm" component={NewDm} />
        <Route path="/new/group" component={NewGroup} />
        <Route path="/settings" component={Settings} />
        <Route path="/search" component={SearchView} />
        <Route path="/explore" component={Explore} />
        <Route path="*" component={() => <Navigate href="/" />} />
      </Route>
    </Router>
  );
}
