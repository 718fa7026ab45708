import { render } from 'solid-js/web';
import { App } from './ui/App';
import { applyTheme } from './state/prefs';
import './ui/styles.css';

applyTheme();
render(() => <App />, document.getElementById('root')!);
