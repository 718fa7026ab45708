import * as sdk from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger.js';
import type { MatrixUser } from './client.js';
import { eventually } from './wait.js';

/**
 * matrix-js-sdk with its Rust crypto, as a real client of one of the servers. Its logs (the test
 * process's console) stay quiet unless HS_TEST_LOG_LEVEL asks for them, and its long request
 * timers (up to 110 s, never cleared) no longer keep the test process alive.
 */
export function quietJsSdk(): void {
  logger.setLevel('silent');
  if (!process.env['HS_TEST_LOG_LEVEL']) {
    // Its module loggers (MatrixRTC's, among others) keep their own level and log errors that
    // are no failure here; the harness reports through process.stderr, ava through its own channel.
    for (const level of ['debug', 'info', 'log', 'warn', 'error'] as const) console[level] = () => undefined;
  }
  const plainSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = Object.assign((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = plainSetTimeout(fn, ms, ...args);
    if ((ms ?? 0) >= 60_000) timer.unref();
    return timer;
  }, plainSetTimeout) as typeof setTimeout;
}

/** A started client for `user`'s device, crypto in memory, synced once. */
export async function startCryptoClient(user: MatrixUser): Promise<sdk.MatrixClient> {
  const client = sdk.createClient({ baseUrl: user.server.clientUrl, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId });
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${user.userId}: matrix-js-sdk sync never became PREPARED`)), 30_000);
    client.on(sdk.ClientEvent.Sync, (state) => {
      if (state === sdk.SyncState.Prepared) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}

/** The decrypted body of an event once the client has it and could decrypt it. */
export function decryptedBody(client: sdk.MatrixClient, roomId: string, eventId: string, what: string, timeoutMs = 30_000): Promise<string> {
  return eventually(
    what,
    async () => {
      const e = client.getRoom(roomId)?.findEventById(eventId);
      if (!e) return undefined;
      await client.decryptEventIfNeeded(e);
      const body = e.getClearContent()?.['body'];
      return e.isEncrypted() && !e.isDecryptionFailure() && typeof body === 'string' ? body : undefined;
    },
    timeoutMs,
  );
}
