import type { Knex } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { WriteBatch, type Statement } from '../../db/write-batch.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import type { Logger } from '../../log/logger.js';
import { MatrixError } from '../../http/errors.js';
import type { ClientInfo, Requester } from '../../http/auth.js';
import { Sessions, type IssuedTokens } from './sessions.js';
import { Uia, StageFailure } from './uia.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { localUserId, newDeviceId, newOpaqueId, usernameErrors } from './ids.js';
import * as accounts from './storage/accounts.js';
import * as devices from './storage/devices.js';
import * as profiles from './storage/profiles.js';
import * as accountData from './storage/account-data.js';
import * as regTokens from './storage/registration-tokens.js';
import * as tokens from './storage/tokens.js';
import { AccountCache } from './account-cache.js';
import { identifierSchema, userOfIdentifier } from './identifier.js';
import type { ProfileSummary } from './api.js';

export interface UsersSettings {
  serverName: string;
  openRegistration: boolean;
  sharedSecret: string | undefined;
  refreshableLifetimeMs: number;
}

type Listener<A extends unknown[]> = (...args: A) => Promise<void> | void;

/** Largest whole profile, as JSON (spec: "the total profile MUST be under 64 KiB"). */
export const MAX_PROFILE_BYTES = 64 * 1024;

export interface LoginResult extends IssuedTokens {
  user_id: string;
  device_id: string;
  home_server: string;
}

/**
 * The users component's logic: accounts, sessions, devices, profiles and account data. Routes
 * validate input and call this; other components reach it through api.ts.
 */
export class UsersService {
  readonly sessions: Sessions;
  readonly uia: Uia;
  private readonly cache: AccountCache;
  /** One profile change of a user at a time: each reads the profile it changes. */
  private readonly profileWrites = new KeyedQueue();
  /**
   * False once this process deleted the first-run admin token after an account was made: only
   * bootstrap, while no account exists, makes one.
   */
  private adminTokensMayExist = true;
  private readonly listeners = {
    profile: [] as Array<Listener<[string, ProfileSummary]>>,
    deactivated: [] as Array<Listener<[string, { erase: boolean }]>>,
    devicesDeleted: [] as Array<Listener<[string, string[]]>>,
    deviceRenamed: [] as Array<Listener<[string, string]>>,
    accountData: [] as Array<Listener<[string, number]>>,
  };

  constructor(
    readonly db: Knex,
    readonly log: Logger,
    readonly settings: UsersSettings,
    readonly now: () => number = Date.now,
  ) {
    this.sessions = new Sessions({ db, log, refreshableLifetimeMs: settings.refreshableLifetimeMs, now });
    this.cache = new AccountCache(now);
    this.uia = new Uia(db, now);
    this.uia.addStage('m.login.password', async ({ session, auth }) => {
      const parsed = identifierSchema.safeParse(auth);
      const claimed = parsed.success ? userOfIdentifier(parsed.data, settings.serverName) : undefined;
      if (!claimed || claimed !== session.user_id || typeof auth.password !== 'string') {
        throw new StageFailure('M_FORBIDDEN', 'Invalid username or password');
      }
      const account = await accounts.getAccount(db, claimed);
      if (!(await verifyPassword(auth.password, account?.password_hash))) throw new StageFailure('M_FORBIDDEN', 'Invalid username or password');
    });
  }

  get serverName(): string {
    return this.settings.serverName;
  }

  authenticate = (token: string, client: ClientInfo): Promise<Requester> => this.sessions.authenticate(token, client);

  // ---- hooks ----

  onProfileChanged(l: Listener<[string, ProfileSummary]>): void {
    this.listeners.profile.push(l);
  }
  onDeactivated(l: Listener<[string, { erase: boolean }]>): void {
    this.listeners.deactivated.push(l);
  }
  onDevicesDeleted(l: Listener<[string, string[]]>): void {
    this.listeners.devicesDeleted.push(l);
  }
  onDeviceRenamed(l: Listener<[string, string]>): void {
    this.listeners.deviceRenamed.push(l);
  }
  onAccountDataChanged(l: Listener<[string, number]>): void {
    this.listeners.accountData.push(l);
  }

  /** Listeners run in turn; one failing is logged and does not undo what already happened. */
  private async emit<A extends unknown[]>(name: string, list: Array<Listener<A>>, ...args: A): Promise<void> {
    for (const l of list) {
      try {
        await l(...args);
      } catch (err) {
        this.log.error({ err, hook: name }, 'users hook listener failed');
      }
    }
  }

  // ---- accounts ----

  async getAccount(userId: string): Promise<accounts.AccountRow | undefined> {
    const cached = this.cache.account(userId);
    if (cached) return cached;
    const epoch = this.cache.epoch;
    const account = await accounts.getAccount(this.db, userId);
    if (account) this.cache.loaded(epoch, account);
    return account;
  }

  /** Starts hashing a password on the thread pool; createAccount takes the promise as `hashing`. */
  startHashing(password: string): Promise<string> {
    const hashing = hashPassword(password);
    // Whoever is handed the promise sees a failure; until then it must not count as unhandled.
    hashing.catch(() => undefined);
    return hashing;
  }

  /**
   * Creates an account, with its localpart as first display name (as Synapse does). Throws
   * M_USER_IN_USE when taken. `registrationToken` completes a pending use of that token; `also`
   * are statements committed with the account (the end of a UIA session), all in one round trip.
   */
  async createAccount(o: {
    userId: string;
    password: string | null;
    /** The hash of `password`, when the caller began hashing it already. */
    hashing?: Promise<string>;
    admin?: boolean;
    displayname?: string | null;
    userType?: string | null;
    registrationToken?: string | null;
    also?: Statement[];
  }): Promise<{ admin: boolean }> {
    const passwordHash = o.password === null ? null : await (o.hashing ?? hashPassword(o.password));
    const row: accounts.AccountRow = {
      user_id: o.userId,
      password_hash: passwordHash,
      is_admin: o.admin ?? false,
      deactivated: false,
      erased: false,
      locked: false,
      user_type: o.userType ?? null,
      created_ts: this.now(),
    };
    const token = o.registrationToken ?? null;
    const batch = new WriteBatch();
    if (token) batch.add(regTokens.completeUseSql(token));
    batch.add(accounts.insertAccountSql(row, token ? regTokens.grantsAdminSql(token) : undefined));
    const displayname = o.displayname ?? o.userId.slice(1, o.userId.indexOf(':'));
    if (displayname) batch.add(profiles.setProfileFieldSql(o.userId, 'displayname', displayname));
    // Once any account exists the first-run token has done its job.
    const clearing = this.adminTokensMayExist;
    if (clearing) batch.add(regTokens.deleteAdminTokensSql());
    batch.add(...(o.also ?? []), accounts.selectAccountSql(o.userId));
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await batch.commitReading(this.db);
    } catch (err) {
      if (isUniqueViolation(err, accounts.ACCOUNT_KEY)) throw usernameErrors.inUse();
      throw err;
    }
    if (clearing) this.adminTokensMayExist = false;
    const created = accounts.toRow(rows[0]!);
    this.cache.created(created, displayname ? { displayname } : {});
    return { admin: created.is_admin };
  }

  /**
   * Makes (or reuses) a device and issues its tokens, as /login and /register answer them: one
   * round trip, which also reads back what the token's first request would look up.
   */
  async login(userId: string, o: { deviceId?: string | undefined; displayName?: string | undefined; refresh: boolean }): Promise<LoginResult> {
    const named = o.deviceId !== undefined;
    for (let attempt = 0; ; attempt++) {
      const deviceId = o.deviceId ?? newDeviceId();
      const prepared = this.sessions.prepare(userId, deviceId, o.refresh);
      const batch = new WriteBatch().add(devices.insertDeviceSql(userId, deviceId, o.displayName ?? null, this.now(), named));
      // Logging in again with a known device replaces that device's old session.
      if (named) batch.add(...tokens.deleteTokensOfDeviceSql(userId, deviceId));
      batch.add(...prepared.statements, tokens.findAccessTokenSql(prepared.accessTokenHash));
      const generation = this.sessions.generation;
      let rows: Array<Record<string, unknown>>;
      try {
        rows = await batch.commitReading(this.db);
      } catch (err) {
        // A device ID we drew that the user happens to have already is drawn again.
        if (!named && attempt < 3 && isUniqueViolation(err, devices.DEVICE_KEY)) continue;
        throw err;
      }
      // What the batch read is current unless a token was forgotten meanwhile; forgetting the
      // replaced session of a named device, next, is this login's own doing and does not count.
      const current = generation === this.sessions.generation;
      if (named) this.sessions.forgetDevice(userId, deviceId);
      if (current && rows[0]) this.sessions.prime(tokens.accessTokenLookupOf(rows[0]), this.sessions.generation);
      return { user_id: userId, ...prepared.issued, device_id: deviceId, home_server: this.serverName };
    }
  }

  /** After a committed change of what an account row says (admin, lock, deactivation): cached rows and tokens go. */
  private forgetAccount(userId: string): void {
    this.cache.forget(userId);
    this.sessions.forgetUser(userId);
  }

  /** The account a password login names, when the password is right. */
  async checkPassword(userId: string, password: string): Promise<accounts.AccountRow | undefined> {
    const account = await this.getAccount(userId);
    return (await verifyPassword(password, account?.password_hash)) ? account : undefined;
  }

  async setPassword(userId: string, password: string, o: { logoutDevices: boolean; keepDeviceId?: string | undefined }): Promise<void> {
    const passwordHash = await hashPassword(password);
    const gone = await this.db.transaction(async (trx) => {
      await accounts.updateAccount(trx, userId, { password_hash: passwordHash });
      return o.logoutDevices ? this.deleteDevicesIn(trx, userId, { allExcept: o.keepDeviceId }) : [];
    });
    this.cache.forget(userId);
    if (gone.length > 0) await this.emit('devicesDeleted', this.listeners.devicesDeleted, userId, gone);
  }

  async setAdmin(userId: string, admin: boolean): Promise<void> {
    await accounts.updateAccount(this.db, userId, { is_admin: admin });
    this.forgetAccount(userId);
  }

  async updateAccount(userId: string, patch: { locked?: boolean; user_type?: string | null }): Promise<void> {
    await accounts.updateAccount(this.db, userId, patch);
    this.forgetAccount(userId);
  }

  /**
   * Deactivates an account: no password, no devices or tokens, no account data; with `erase`,
   * no profile either. Then tells listeners (rooms leaves every room).
   */
  async deactivate(userId: string, o: { erase: boolean }): Promise<void> {
    const deleted = await this.db.transaction(async (trx) => {
      await accounts.updateAccount(trx, userId, { deactivated: true, password_hash: null, ...(o.erase ? { erased: true } : {}) });
      const gone = await this.deleteDevicesIn(trx, userId, {});
      await accountData.deleteAllAccountData(trx, userId);
      if (o.erase) await profiles.deleteProfile(trx, userId);
      return gone;
    });
    this.forgetAccount(userId);
    if (deleted.length > 0) await this.emit('devicesDeleted', this.listeners.devicesDeleted, userId, deleted);
    await this.emit('deactivated', this.listeners.deactivated, userId, { erase: o.erase });
  }

  async reactivate(userId: string, password: string | null): Promise<void> {
    const patch: Parameters<typeof accounts.updateAccount>[2] = { deactivated: false, erased: false };
    if (password !== null) patch.password_hash = await hashPassword(password);
    await accounts.updateAccount(this.db, userId, patch);
    this.cache.forget(userId);
  }

  // ---- devices ----

  /** Deletes devices and their tokens inside a transaction; callers tell listeners once it commits. */
  private async deleteDevicesIn(trx: Knex, userId: string, which: string[] | { allExcept?: string | undefined }): Promise<string[]> {
    await this.sessions.revokeDevices(trx, userId, which);
    let gone: string[];
    if (Array.isArray(which)) gone = await devices.deleteDevices(trx, userId, which);
    else {
      const all = await devices.listDevices(trx, userId);
      gone = await devices.deleteDevices(trx, userId, all.map((d) => d.device_id).filter((d) => d !== which.allExcept));
    }
    return gone;
  }

  async deleteDevices(userId: string, which: string[] | { allExcept?: string | undefined }): Promise<string[]> {
    const gone = await this.db.transaction((trx) => this.deleteDevicesIn(trx, userId, which));
    if (gone.length > 0) await this.emit('devicesDeleted', this.listeners.devicesDeleted, userId, gone);
    return gone;
  }

  async renameDevice(userId: string, deviceId: string, displayName: string): Promise<void> {
    const before = await devices.getDevice(this.db, userId, deviceId);
    await devices.setDeviceDisplayName(this.db, userId, deviceId, displayName);
    if (before && before.display_name !== displayName) await this.emit('deviceRenamed', this.listeners.deviceRenamed, userId, deviceId);
  }

  async listDevices(userId: string): Promise<devices.DeviceRow[]> {
    return (await devices.listDevices(this.db, userId)).map((d) => this.withPendingLastSeen(d));
  }

  async getDevice(userId: string, deviceId: string): Promise<devices.DeviceRow | undefined> {
    const d = await devices.getDevice(this.db, userId, deviceId);
    return d && this.withPendingLastSeen(d);
  }

  private withPendingLastSeen(d: devices.DeviceRow): devices.DeviceRow {
    const p = this.sessions.pendingLastSeen(d.user_id, d.device_id);
    return p ? { ...d, last_seen_ts: p.ts, last_seen_ip: p.ip, last_seen_user_agent: p.userAgent } : d;
  }

  // ---- profiles ----

  /** A local user's profile; undefined when there is no such account. */
  async getProfile(userId: string): Promise<profiles.ProfileFields | undefined> {
    const cached = this.cache.profile(userId);
    if (cached) return cached;
    const epoch = this.cache.epoch;
    const account = await this.getAccount(userId);
    if (!account) return undefined;
    const profile = await profiles.getProfile(this.db, userId);
    this.cache.loaded(epoch, account, profile);
    return profile;
  }

  /** Sets (value) or removes (undefined) one profile field, keeping the whole profile under 64 KiB. */
  async setProfileField(userId: string, field: string, value: unknown): Promise<void> {
    const change = await this.profileWrites.run(userId, async () => {
      const epoch = this.cache.epoch;
      const before = this.cache.profile(userId) ?? (await profiles.getProfile(this.db, userId));
      const after = { ...before };
      if (value === undefined) delete after[field];
      else after[field] = value;
      if (Buffer.byteLength(JSON.stringify(after), 'utf8') > MAX_PROFILE_BYTES) {
        throw new MatrixError(400, 'M_PROFILE_TOO_LARGE', 'The profile would exceed 64 KiB');
      }
      try {
        if (value === undefined) await profiles.deleteProfileField(this.db, userId, field);
        else await profiles.setProfileField(this.db, userId, field, value);
      } catch (err) {
        // A failure can come after the commit (a connection lost on the way back): read it again.
        this.cache.forget(userId);
        throw err;
      }
      this.cache.profileWritten(userId, epoch, after);
      return { before, after };
    });
    const { before, after } = change;
    if ((field === 'displayname' || field === 'avatar_url') && before[field] !== after[field]) {
      await this.emit('profileChanged', this.listeners.profile, userId, summary(after));
    }
  }

  // ---- account data ----

  async putAccountData(userId: string, roomId: string | null, type: string, content: Record<string, unknown> | null): Promise<number> {
    const streamId = await accountData.putAccountData(this.db, userId, roomId, type, content);
    await this.emit('accountDataChanged', this.listeners.accountData, userId, streamId);
    return streamId;
  }

  // ---- registration tokens and first run ----

  /**
   * While no account exists, makes (or reuses) the one-time admin registration token and prints
   * it, so the first person to register becomes the admin without opening registration.
   */
  async bootstrap(): Promise<string | undefined> {
    if (await accounts.anyAccountExists(this.db)) {
      await regTokens.deleteAdminTokens(this.db);
      this.adminTokensMayExist = false;
      return undefined;
    }
    this.adminTokensMayExist = true;
    let token = (await regTokens.findAdminToken(this.db))?.token;
    if (!token) {
      token = newOpaqueId(24);
      await regTokens.insertToken(this.db, { token, uses_allowed: 1, expiry_time: null, grants_admin: true });
    }
    this.log.warn(
      { firstRunRegistrationToken: token },
      `No account exists yet. Register with the registration token ${token} to become this server's admin (it works once).`,
    );
    return token;
  }

  userIdOf(idOrLocalpart: string): string | undefined {
    return localUserId(idOrLocalpart, this.serverName);
  }

  async start(): Promise<void> {
    this.sessions.start();
    this.sweepTimer = setInterval(() => void this.uia.sweep().catch((err: unknown) => this.log.warn({ err }, 'UIA session sweep failed')), 5 * 60_000);
    this.sweepTimer.unref();
    await this.uia.sweep();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sessions.stop();
  }

  private sweepTimer: NodeJS.Timeout | undefined;
}

export function summary(p: profiles.ProfileFields): ProfileSummary {
  const out: ProfileSummary = {};
  if (typeof p.displayname === 'string') out.displayname = p.displayname;
  if (typeof p.avatar_url === 'string') out.avatar_url = p.avatar_url;
  return out;
}
