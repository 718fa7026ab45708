import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

export default defineConfig({
  plugins: [solid()],
  build: {
    target: 'es2022',
    // No source maps in the served build: they double its size and the homeserver serves it to everyone.
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    // In development the API is the homeserver's: the app's default homeserver (its own origin) works.
    proxy: {
      '/_matrix': { target: process.env.HEARTH_DEV_HOMESERVER ?? 'http://localhost:8008', ws: true },
      '/.well-known': { target: process.env.HEARTH_DEV_HOMESERVER ?? 'http://localhost:8008' },
    },
  },
});
