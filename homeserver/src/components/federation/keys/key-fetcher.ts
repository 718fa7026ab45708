import { isJsonObject } from '../../../core/json.js';
import type { Logger } from '../../../log/logger.js';
import type { FederationClient } from '../transport/client.js';
import type { KeySource } from './key-ring.js';
import { checkSelfSigned, parseServerKeys, signedByNotary, type ServerKeys } from './server-keys.js';

const KEY_REQUEST_TIMEOUT_MS = 15_000;
/** A key document is a few hundred bytes; a notary's answer for a batch of servers a few KiB. */
const MAX_KEY_RESPONSE_BYTES = 1024 * 1024;

export interface RemoteKeySourceDeps {
  client: FederationClient;
  /** `federation.trusted_key_servers`, asked in order. */
  notaries: readonly string[];
  /** The notary's public keys for the given key IDs, each valid now (fetched from the notary itself). */
  notaryKeys(notary: string, keyIds: readonly string[]): Promise<Map<string, string>>;
  log: Logger;
}

function checked(doc: unknown, serverName: string): ServerKeys {
  const keys = parseServerKeys(doc, serverName);
  if (typeof keys === 'string') throw new Error(`key document of ${serverName}: ${keys}`);
  const problem = checkSelfSigned(keys);
  if (problem !== undefined) throw new Error(`key document of ${serverName}: ${problem}`);
  return keys;
}

/** Fetches key documents over federation: from the server itself, or vouched for by a notary. */
export class RemoteKeySource implements KeySource {
  constructor(private readonly deps: RemoteKeySourceDeps) {}

  async direct(serverName: string): Promise<ServerKeys> {
    const doc = await this.deps.client.requestJson(serverName, {
      method: 'GET',
      path: '/_matrix/key/v2/server',
      timeoutMs: KEY_REQUEST_TIMEOUT_MS,
      maxResponseBytes: MAX_KEY_RESPONSE_BYTES,
    });
    return checked(doc, serverName);
  }

  async viaNotaries(wanted: ReadonlyMap<string, { keyIds: string[]; minimumValidUntilTs: number }>): Promise<ServerKeys[]> {
    const remaining = new Map(wanted);
    const found: ServerKeys[] = [];
    for (const notary of this.deps.notaries) {
      if (remaining.size === 0) break;
      try {
        for (const keys of await this.askNotary(notary, remaining)) {
          found.push(keys);
          const need = remaining.get(keys.serverName);
          if (need && need.keyIds.every((k) => keys.verifyKeys.has(k) || keys.oldVerifyKeys.has(k))) remaining.delete(keys.serverName);
        }
      } catch (err) {
        this.deps.log.info({ notary, err: (err as Error).message }, 'notary key query failed');
      }
    }
    return found;
  }

  private async askNotary(notary: string, wanted: ReadonlyMap<string, { keyIds: string[]; minimumValidUntilTs: number }>): Promise<ServerKeys[]> {
    const serverKeys: Record<string, Record<string, { minimum_valid_until_ts: number }>> = {};
    for (const [server, need] of wanted) {
      serverKeys[server] = Object.fromEntries(need.keyIds.map((k) => [k, { minimum_valid_until_ts: need.minimumValidUntilTs }]));
    }
    const res = await this.deps.client.requestJson(notary, {
      method: 'POST',
      path: '/_matrix/key/v2/query',
      body: { server_keys: serverKeys },
      timeoutMs: KEY_REQUEST_TIMEOUT_MS,
      maxResponseBytes: MAX_KEY_RESPONSE_BYTES,
    });
    const docs = res['server_keys'];
    if (!Array.isArray(docs)) throw new Error('server_keys must be an array');
    const out: ServerKeys[] = [];
    for (const doc of docs) {
      if (!isJsonObject(doc) || typeof doc['server_name'] !== 'string' || !wanted.has(doc['server_name'])) continue;
      let keys: ServerKeys;
      try {
        keys = checked(doc, doc['server_name']);
      } catch (err) {
        this.deps.log.info({ notary, err: (err as Error).message }, 'notary returned a key document that does not check out');
        continue;
      }
      const sigs = isJsonObject(doc['signatures']) ? doc['signatures'][notary] : undefined;
      const notaryKeyIds = isJsonObject(sigs) ? Object.keys(sigs) : [];
      if (!signedByNotary(keys, notary, await this.deps.notaryKeys(notary, notaryKeyIds))) {
        this.deps.log.info({ notary, server: keys.serverName }, 'notary did not sign the key document it returned');
        continue;
      }
      out.push(keys);
    }
    return out;
  }
}
