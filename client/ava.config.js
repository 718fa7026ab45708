// Unit tests of the protocol layer run in Node (no browser); e2e/ drives headless Chromium
// against a real homeserver and the production build, so it runs after `vite build`.
export default {
  extensions: { ts: 'module', tsx: 'module' },
  nodeArguments: ['--import=tsx'],
  files: ['test/**/*.test.ts', 'e2e/**/*.test.ts'],
  timeout: '3m',
  workerThreads: false,
};
