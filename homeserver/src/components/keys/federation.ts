import { randomBytes } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { Logger } from '../../log/logger.js';
import { federationPath, type FederationApi } from '../federation/api.js';
import type { ClaimedKeys, KeysApi, KeysFederation, KeysQueryResult } from './api.js';
import { registerKeyEduHandlers } from './federation-edus.js';

/** Our one-time keys or key query answers from a remote server are never this large. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

type Federation = Pick<FederationApi, 'client' | 'enqueueEdu' | 'registerEduHandler' | 'requireServerAuth'>;

/** Keeps entries whose value is a JSON object (what a server answers is not trusted to be typed). */
function objects(value: unknown): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  if (!isJsonObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (isJsonObject(v)) out[k] = v;
  return out;
}

/** device_keys: user → device → keys, keeping only keys that say they are that user's device. */
function deviceKeys(value: unknown): KeysQueryResult['device_keys'] {
  const out: KeysQueryResult['device_keys'] = {};
  for (const [userId, devices] of Object.entries(objects(value))) {
    out[userId] = Object.fromEntries(Object.entries(objects(devices)).filter(([deviceId, keys]) => keys['user_id'] === userId && keys['device_id'] === deviceId));
  }
  return out;
}

/** one_time_keys: user → device → `<algorithm>:<key ID>` → key object or string. */
function claimedKeys(value: unknown): ClaimedKeys {
  const out: ClaimedKeys = {};
  for (const [userId, devices] of Object.entries(objects(value))) {
    out[userId] = {};
    for (const [deviceId, keys] of Object.entries(objects(devices))) {
      out[userId][deviceId] = Object.fromEntries(Object.entries(keys).filter((e): e is [string, JsonObject | string] => typeof e[1] === 'string' || isJsonObject(e[1])));
    }
  }
  return out;
}

/** The keys component's view of federation: signed requests for remote keys, EDUs out through the durable queue. */
export function keysFederation(federation: Federation): KeysFederation {
  const post = (destination: string, path: string, body: Record<string, unknown>, timeoutMs: number) =>
    federation.client.requestJson(destination, { method: 'POST', path, body, timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES });
  return {
    requireServerAuth: federation.requireServerAuth,
    async queryKeys(destination, wanted, timeoutMs) {
      const answer = await post(destination, federationPath`/_matrix/federation/v1/user/keys/query`, { device_keys: wanted }, timeoutMs);
      return { device_keys: deviceKeys(answer['device_keys']), master_keys: objects(answer['master_keys']), self_signing_keys: objects(answer['self_signing_keys']) };
    },
    async claimKeys(destination, wanted, timeoutMs) {
      const answer = await post(destination, federationPath`/_matrix/federation/v1/user/keys/claim`, { one_time_keys: wanted }, timeoutMs);
      return claimedKeys(answer['one_time_keys']);
    },
    async sendToDevice(destination, sender, eventType, messages) {
      // message_id lets the receiver drop a copy it already delivered (at most 32 characters).
      const content: JsonObject = { sender, type: eventType, message_id: randomBytes(16).toString('base64url'), messages };
      await federation.enqueueEdu({ edu_type: 'm.direct_to_device', content }, [destination]);
    },
    async sendKeyUpdates(edus, destinations) {
      for (const edu of edus) await federation.enqueueEdu(edu, destinations);
    },
  };
}

/** Plugs federation into the keys component: remote keys, to-device messages and key updates both ways. */
export function connectKeysFederation(federation: Federation, keys: KeysApi, log: Logger): void {
  keys.useFederation(keysFederation(federation));
  registerKeyEduHandlers(federation, keys, log);
}
