import { z } from 'zod';
import { parseUserId } from '../../core/ids.js';
import type { JsonObject } from '../../core/json.js';
import type { Logger } from '../../log/logger.js';
import { LruCache } from '../../util/lru.js';
import type { FederationApi } from '../federation/api.js';
import type { KeysApi } from './api.js';
import { idString, objectSchema, userIdString } from './schemas.js';

const toDeviceSchema = z.object({
  sender: userIdString,
  type: z.string().min(1).max(255),
  message_id: z.string().min(1).max(255),
  messages: z.record(userIdString, z.record(idString, objectSchema)),
});

/** m.device_list_update and m.signing_key_update: only whose keys changed is used. */
const keyUpdateSchema = z.object({ user_id: userIdString }).passthrough();

/** message_ids remembered per origin to drop a to-device message delivered before. */
const SEEN_MESSAGES = 50_000;

function fromOrigin(userId: string, origin: string): boolean {
  return parseUserId(userId)?.serverName === origin;
}

/**
 * Inbound EDUs of the keys component (server-server "Send-to-device messaging", "Device
 * Management", "End-to-End Encryption"): a server speaks only for its own users, so an EDU about
 * anyone else is dropped, as is anything malformed.
 */
export function registerKeyEduHandlers(federation: Pick<FederationApi, 'registerEduHandler'>, keys: KeysApi, log: Logger): Array<() => void> {
  const seen = new LruCache<string, true>(SEEN_MESSAGES);

  const registered: Array<() => void> = [];
  registered.push(federation.registerEduHandler('m.direct_to_device', async (origin, content) => {
    const parsed = toDeviceSchema.safeParse(content);
    if (!parsed.success || !fromOrigin(parsed.data.sender, origin)) {
      log.debug({ origin }, 'm.direct_to_device dropped: malformed, or the sender is not a user of the origin');
      return;
    }
    const { sender, type, message_id: messageId, messages } = parsed.data;
    const key = `${origin}\u0000${messageId}`;
    if (seen.get(key)) return;
    await keys.deliverToDevice(sender, type, messages as Record<string, Record<string, JsonObject>>);
    seen.set(key, true);
  }));

  const keyUpdate = async (origin: string, content: JsonObject, eduType: string): Promise<void> => {
    const parsed = keyUpdateSchema.safeParse(content);
    if (!parsed.success || !fromOrigin(parsed.data.user_id, origin)) {
      log.debug({ origin, eduType }, 'key update dropped: malformed, or the user is not a user of the origin');
      return;
    }
    await keys.remoteKeysChanged(parsed.data.user_id);
  };
  registered.push(federation.registerEduHandler('m.device_list_update', (origin, content) => keyUpdate(origin, content, 'm.device_list_update')));
  registered.push(federation.registerEduHandler('m.signing_key_update', (origin, content) => keyUpdate(origin, content, 'm.signing_key_update')));
  return registered;
}
