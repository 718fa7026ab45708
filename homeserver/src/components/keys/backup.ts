import type { JsonObject } from '../../core/json.js';
import { errors, MatrixError } from '../../http/errors.js';
import type { KeysContext } from './context.js';
import * as store from './storage/backup.js';

export const MEGOLM_BACKUP_V1 = 'm.megolm_backup.v1.curve25519-aes-sha2';

export interface VersionInfo {
  algorithm: string;
  auth_data: JsonObject;
  count: number;
  etag: string;
  version: string;
}

export interface KeysUpdate {
  etag: string;
  count: number;
}

const unknownVersion = (): MatrixError => errors.notFound('Unknown backup version');

/** Versions are decimal numbers we handed out; anything else names no backup. */
function parseVersion(v: string): number | undefined {
  return /^[1-9]\d{0,14}$/.test(v) ? Number(v) : undefined;
}

function info(v: store.BackupVersion): VersionInfo {
  return { algorithm: v.algorithm, auth_data: v.authData, count: v.count, etag: String(v.etag), version: String(v.version) };
}

/**
 * Server-side key backup: versions with their auth_data, and the encrypted session keys stored in
 * them. Keys may be written to the newest version only; reads and deletes take any live version.
 */
export class KeyBackup {
  constructor(private readonly k: KeysContext) {}

  async createVersion(userId: string, algorithm: string, authData: JsonObject): Promise<string> {
    // Two creations at once race for one number; the loser takes the next.
    for (let attempt = 0; attempt < 5; attempt++) {
      const version = await store.insertVersion(this.k.db, userId, algorithm, authData);
      if (version !== undefined) return String(version);
    }
    throw new MatrixError(409, 'M_UNKNOWN', 'Backup versions are being created concurrently; try again');
  }

  async getVersion(userId: string, version?: string): Promise<VersionInfo> {
    if (version === undefined) {
      const current = await store.currentVersion(this.k.db, userId);
      if (!current) throw errors.notFound('No current backup version');
      return info(current);
    }
    const v = await this.live(userId, version);
    return info(v);
  }

  async updateVersion(userId: string, version: string, body: { algorithm: string; auth_data: JsonObject; version?: string | undefined }): Promise<void> {
    if (body.version !== undefined && body.version !== version) throw errors.invalidParam('The version in the body does not match the one in the path');
    const v = await this.live(userId, version);
    if (body.algorithm !== v.algorithm) throw errors.invalidParam('Algorithm does not match');
    await store.updateAuthData(this.k.db, userId, v.version, body.auth_data);
  }

  /** Deletes a version and its keys; a version deleted before answers success again. */
  async deleteVersion(userId: string, version: string): Promise<void> {
    const n = parseVersion(version);
    const v = n === undefined ? undefined : await store.getVersion(this.k.db, userId, n);
    if (!v) throw unknownVersion();
    if (!v.deleted) await this.k.db.transaction((trx) => store.markDeleted(trx, userId, v.version));
  }

  /** Stores keys in the current version, keeping the better of two keys for one session. */
  async putKeys(userId: string, version: string, rows: store.SessionRow[]): Promise<KeysUpdate> {
    return this.k.db.transaction(async (trx) => {
      const current = await store.currentVersion(trx, userId, true);
      if (!current) throw unknownVersion();
      if (parseVersion(version) !== current.version) {
        throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version.', { current_version: String(current.version) });
      }
      const { inserted, changed } = await store.putKeys(trx, userId, current.version, rows);
      if (changed === 0) return { etag: String(current.etag), count: current.count };
      const t = await store.touchVersion(trx, userId, current.version, inserted);
      return { etag: String(t.etag), count: t.count };
    });
  }

  async getKeys(userId: string, version: string, roomId?: string, sessionId?: string): Promise<store.SessionRow[]> {
    const v = await this.live(userId, version);
    return store.getKeys(this.k.db, userId, v.version, roomId, sessionId);
  }

  async deleteKeys(userId: string, version: string, roomId?: string, sessionId?: string): Promise<KeysUpdate> {
    return this.k.db.transaction(async (trx) => {
      const v = await this.live(userId, version, trx);
      const gone = await store.deleteKeys(trx, userId, v.version, roomId, sessionId);
      if (gone === 0) return { etag: String(v.etag), count: v.count };
      const t = await store.touchVersion(trx, userId, v.version, -gone);
      return { etag: String(t.etag), count: t.count };
    });
  }

  async deleteAll(userId: string): Promise<void> {
    await this.k.db.transaction((trx) => store.deleteAllBackups(trx, userId));
  }

  /** A version that exists and is not deleted, else 404. */
  private async live(userId: string, version: string, db = this.k.db): Promise<store.BackupVersion> {
    const n = parseVersion(version);
    const v = n === undefined ? undefined : await store.getVersion(db, userId, n);
    if (!v || v.deleted) throw unknownVersion();
    return v;
  }
}
