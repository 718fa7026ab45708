import { useNavigate } from '@solidjs/router';
import type { JSX } from 'solid-js';
import { Icon } from './Icon';

/** A main-pane header with the phone layout's way back to the room list. */
export function PageHeader(props: { title: string; children?: JSX.Element }) {
  const navigate = useNavigate();
  return (
    <div class="topbar">
      <button class="icon back" aria-label="Back to conversations" onClick={() => navigate('/')}>
        <Icon name="back" />
      </button>
      <h2 class="grow">{props.title}</h2>
      {props.children}
    </div>
  );
}
