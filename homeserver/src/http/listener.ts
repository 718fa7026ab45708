import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type Koa from 'koa';
import type { FastRoutes } from './fast-routes.js';

export interface Listener {
  readonly server: http.Server | https.Server;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes every connection. */
  close(graceMs: number): Promise<void>;
}

/**
 * Serves `app` on plain HTTP, or on HTTPS when `tls` (certificate and key) is given; `fast` takes
 * its few routes before koa sees them.
 */
export async function listen(app: Koa, bind: string, port: number, tls?: SecureContextOptions, fast?: FastRoutes): Promise<Listener> {
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const handle = app.callback();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    if (fast?.serve(req, res) !== true) void handle(req, res);
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  // Long-polls last up to a few minutes; the default 5-minute request timeout would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close(graceMs) {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const finish = (): void => {
          clearTimeout(timer);
          server.closeAllConnections();
        };
        const timer = setTimeout(finish, graceMs);
        timer.unref();
        if (inFlight === 0) finish();
        else drained = finish;
      });
      return closing;
    },
  };
}
