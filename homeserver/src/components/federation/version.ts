import { readFileSync } from 'node:fs';

/** The homeserver's name and version from package.json (two levels above src/ or dist/). */
export const SERVER_SOFTWARE = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return { name: 'Hearth', version: pkg.version ?? 'unknown' };
})();
