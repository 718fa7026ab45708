import * as sdk from 'matrix-js-sdk';
import { quietJsSdk as quietHomeserverJsSdk } from '../../homeserver/test/helpers/js-sdk.js';
import type { MatrixUser } from './client.js';
import { eventually } from './wait.js';

/** matrix-js-sdk quiet, its console errors too: the harness reports through process.stderr. */
export const quietJsSdk = (): void => quietHomeserverJsSdk({ errors: true });

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
