import { signJson } from '../../../core/signing.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../log/logger.js';
import type { RemoteKeyStore } from '../storage/remote-keys.js';
import type { ServerSigningKey } from '../signing-key.js';
import type { KeyRing } from './key-ring.js';

/** Server name → key ID → the time the key should be valid until at least (undefined: not past half its lifetime, so valid now). */
export type NotaryCriteria = Map<string, Map<string, number | undefined>>;

export interface NotaryDeps {
  serverName: string;
  signingKey: ServerSigningKey;
  /** Our own self-signed key document. */
  ownDocument(): object;
  store: RemoteKeyStore;
  keyRing: KeyRing;
  log: Logger;
  now?: () => number;
}

function documentKeyIds(doc: JsonObject): Set<string> {
  const ids = new Set<string>();
  for (const field of ['verify_keys', 'old_verify_keys']) {
    const keys = doc[field];
    if (isJsonObject(keys)) for (const id of Object.keys(keys)) ids.add(id);
  }
  return ids;
}

/**
 * Answers `/_matrix/key/v2/query` as a notary: other servers' key documents, fetched from them
 * when what we hold is not fresh enough, each signed again by us. When a server cannot be reached
 * the documents we hold are returned anyway, so signatures on old events can still be checked.
 */
export class Notary {
  private readonly now: () => number;

  constructor(private readonly deps: NotaryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `minimum` applies to keys asked without their own minimum_valid_until_ts. */
  async query(criteria: NotaryCriteria, minimum?: number): Promise<JsonObject[]> {
    const perServer = await Promise.all([...criteria].map(([server, keys]) => this.forServer(server, keys, minimum)));
    return perServer.flat();
  }

  private async forServer(server: string, keys: Map<string, number | undefined>, defaultMinimum: number | undefined): Promise<JsonObject[]> {
    if (server === this.deps.serverName) return [this.deps.ownDocument() as JsonObject];
    const keyIds = [...keys.keys()];
    const explicit = [...keys.values(), defaultMinimum].filter((ts): ts is number => ts !== undefined);
    const minimum = explicit.length > 0 ? Math.max(...explicit) : undefined;
    let docs = await this.deps.store.documentsOf(server, keyIds);
    if (!this.fresh(docs, keyIds, minimum)) {
      try {
        await this.deps.keyRing.fetchDirect(server);
        docs = await this.deps.store.documentsOf(server, keyIds);
      } catch (err) {
        this.deps.log.info({ server, err: (err as Error).message }, 'notary: the server did not give its keys; answering what is cached');
      }
    }
    const { keyId, seed } = this.deps.signingKey;
    return docs.map((d) => signJson(d.document, this.deps.serverName, keyId, seed));
  }

  /**
   * Whether every asked key (any key when none is named) is in a document that will do: valid
   * until `minimum` when the asker gave one, else not past half its lifetime (the spec's advice to
   * notaries, so that what we hand out is never about to expire).
   */
  private fresh(docs: ReadonlyArray<{ document: JsonObject; fetchedAt: number }>, keyIds: readonly string[], minimum: number | undefined): boolean {
    const now = this.now();
    const usable = docs.filter(({ document, fetchedAt }) => {
      const validUntil = document['valid_until_ts'];
      if (typeof validUntil !== 'number') return false;
      return minimum !== undefined ? validUntil >= minimum : fetchedAt + (validUntil - fetchedAt) / 2 >= now;
    });
    if (keyIds.length === 0) return usable.length > 0;
    return keyIds.every((id) => usable.some((d) => documentKeyIds(d.document).has(id)));
  }
}
