import { createHmac } from 'node:crypto';
import type { JsonResponse } from './http.js';
import type { HearthServer } from './server.js';
import { SyncView, type ClientEvent } from './sync-view.js';
import { DEFAULT_WAIT_MS, WaitTimeout } from './wait.js';

const C = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';
const enc = encodeURIComponent;

/** A non-2xx answer of the client API. */
export class MatrixHttpError extends Error {
  override name = 'MatrixHttpError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: any,
  ) {
    super(`${method} ${path.split('?')[0]} answered ${status} ${body?.errcode ?? ''}: ${body?.error ?? JSON.stringify(body)}`);
  }

  get errcode(): string | undefined {
    return this.body?.errcode;
  }
}

let txnCounter = 0;
const txnId = (): string => `fedtest${Date.now()}_${txnCounter++}`;

/** The sync filter of the harness: long enough timelines that a scenario misses nothing. */
const SYNC_FILTER = JSON.stringify({ room: { timeline: { limit: 100 }, state: { lazy_load_members: false } } });

/** One device of one user on one server, speaking the client-server API. */
export class MatrixUser {
  /** Everything this device's /sync has delivered so far. */
  readonly view = new SyncView();
  private syncing: Promise<void> | undefined;

  constructor(
    readonly server: HearthServer,
    readonly userId: string,
    readonly accessToken: string,
    readonly deviceId: string,
  ) {}

  get localpart(): string {
    return this.userId.slice(1, this.userId.indexOf(':'));
  }

  /** The raw answer, whatever its status. */
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<JsonResponse> {
    return this.server.client(path, { method, body, headers: { authorization: `Bearer ${this.accessToken}` }, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /** The answer's body; MatrixHttpError for anything but 2xx. */
  async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) throw new MatrixHttpError(method, `${this.server.name}${path}`, res.status, res.body);
    return res.body;
  }

  // ---- rooms ----

  async createRoom(body: Record<string, unknown> = {}): Promise<string> {
    return (await this.call('POST', `${C}/createRoom`, body)).room_id;
  }

  /** Joins by room ID or alias; `via` names servers to join through (for a room ID). */
  async join(roomIdOrAlias: string, via: readonly string[] = []): Promise<string> {
    const q = via.length > 0 ? `?${via.map((s) => `via=${enc(s)}&server_name=${enc(s)}`).join('&')}` : '';
    return (await this.call('POST', `${C}/join/${enc(roomIdOrAlias)}${q}`, {})).room_id;
  }

  async leave(roomId: string): Promise<void> {
    await this.call('POST', `${C}/rooms/${enc(roomId)}/leave`, {});
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.call('POST', `${C}/rooms/${enc(roomId)}/invite`, { user_id: userId });
  }

  async kick(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.call('POST', `${C}/rooms/${enc(roomId)}/kick`, { user_id: userId, ...(reason ? { reason } : {}) });
  }

  async ban(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.call('POST', `${C}/rooms/${enc(roomId)}/ban`, { user_id: userId, ...(reason ? { reason } : {}) });
  }

  async unban(roomId: string, userId: string): Promise<void> {
    await this.call('POST', `${C}/rooms/${enc(roomId)}/unban`, { user_id: userId });
  }

  async send(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    return (await this.call('PUT', `${C}/rooms/${enc(roomId)}/send/${enc(type)}/${txnId()}`, content)).event_id;
  }

  sendText(roomId: string, body: string): Promise<string> {
    return this.send(roomId, 'm.room.message', { msgtype: 'm.text', body });
  }

  async sendState(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
    return (await this.call('PUT', `${C}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, content)).event_id;
  }

  /** A state event's content, undefined when the room has none (404). */
  async getState(roomId: string, type: string, stateKey = ''): Promise<any> {
    const path = `${C}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`;
    const res = await this.request('GET', path);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new MatrixHttpError('GET', `${this.server.name}${path}`, res.status, res.body);
    return res.body;
  }

  /** The whole current state of a room (client events). */
  async roomState(roomId: string): Promise<ClientEvent[]> {
    return this.call('GET', `${C}/rooms/${enc(roomId)}/state`);
  }

  async redact(roomId: string, eventId: string, reason?: string): Promise<string> {
    return (await this.call('PUT', `${C}/rooms/${enc(roomId)}/redact/${enc(eventId)}/${txnId()}`, reason ? { reason } : {})).event_id;
  }

  async event(roomId: string, eventId: string): Promise<ClientEvent> {
    return this.call('GET', `${C}/rooms/${enc(roomId)}/event/${enc(eventId)}`);
  }

  async messages(roomId: string, opts: { dir?: 'b' | 'f'; from?: string; limit?: number } = {}): Promise<{ chunk: ClientEvent[]; start: string; end?: string }> {
    const q = new URLSearchParams({ dir: opts.dir ?? 'b', limit: String(opts.limit ?? 50), ...(opts.from ? { from: opts.from } : {}) });
    return this.call('GET', `${C}/rooms/${enc(roomId)}/messages?${q}`);
  }

  /** The room's history as far back as pagination goes (at most `max` events), oldest first. */
  async history(roomId: string, max = 1000, pageSize = 100): Promise<ClientEvent[]> {
    const events: ClientEvent[] = [];
    let from: string | undefined;
    while (events.length < max) {
      const page = await this.messages(roomId, { dir: 'b', limit: pageSize, ...(from ? { from } : {}) });
      events.push(...page.chunk);
      if (!page.end || page.chunk.length === 0) break;
      from = page.end;
    }
    return events.reverse();
  }

  async joinedMembers(roomId: string): Promise<string[]> {
    return Object.keys((await this.call('GET', `${C}/rooms/${enc(roomId)}/joined_members`)).joined ?? {});
  }

  async setAlias(alias: string, roomId: string): Promise<void> {
    await this.call('PUT', `${C}/directory/room/${enc(alias)}`, { room_id: roomId });
  }

  async typing(roomId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    await this.call('PUT', `${C}/rooms/${enc(roomId)}/typing/${enc(this.userId)}`, typing ? { typing, timeout: timeoutMs } : { typing });
  }

  async receipt(roomId: string, eventId: string, type = 'm.read'): Promise<void> {
    await this.call('POST', `${C}/rooms/${enc(roomId)}/receipt/${enc(type)}/${enc(eventId)}`, {});
  }

  // ---- users ----

  async setPresence(presence: 'online' | 'unavailable' | 'offline', statusMsg?: string): Promise<void> {
    await this.call('PUT', `${C}/presence/${enc(this.userId)}/status`, { presence, ...(statusMsg !== undefined ? { status_msg: statusMsg } : {}) });
  }

  async setDisplayName(name: string): Promise<void> {
    await this.call('PUT', `${C}/profile/${enc(this.userId)}/displayname`, { displayname: name });
  }

  async profile(userId: string): Promise<Record<string, any>> {
    return this.call('GET', `${C}/profile/${enc(userId)}`);
  }

  /** A new device of the same user (password login). */
  async login(deviceId?: string): Promise<MatrixUser> {
    return loginUser(this.server, this.userId, deviceId);
  }

  // ---- end-to-end encryption ----

  async uploadKeys(body: Record<string, unknown>): Promise<any> {
    return this.call('POST', `${C}/keys/upload`, body);
  }

  async queryKeys(userIds: readonly string[]): Promise<any> {
    return this.call('POST', `${C}/keys/query`, { device_keys: Object.fromEntries(userIds.map((u) => [u, []])), timeout: 10_000 });
  }

  async claimKeys(wanted: Record<string, Record<string, string>>): Promise<any> {
    return this.call('POST', `${C}/keys/claim`, { one_time_keys: wanted, timeout: 10_000 });
  }

  async sendToDevice(type: string, messages: Record<string, Record<string, Record<string, unknown>>>): Promise<void> {
    await this.call('PUT', `${C}/sendToDevice/${enc(type)}/${txnId()}`, { messages });
  }

  // ---- sync ----

  /** One /sync request from where the last one ended (an initial sync the first time). */
  async syncOnce(timeoutMs = 0): Promise<void> {
    // One request at a time per device: tokens must advance in order.
    while (this.syncing) await this.syncing;
    const q = new URLSearchParams({ filter: SYNC_FILTER, timeout: String(timeoutMs), ...(this.view.nextBatch ? { since: this.view.nextBatch } : {}) });
    const run = (async () => {
      const res = await this.request('GET', `${C}/sync?${q}`, undefined, timeoutMs + 30_000);
      if (res.status !== 200) throw new MatrixHttpError('GET', `${this.server.name}${C}/sync`, res.status, res.body);
      this.view.apply(res.body);
    })();
    this.syncing = run.then(() => undefined, () => undefined);
    try {
      await run;
    } finally {
      this.syncing = undefined;
    }
  }

  /**
   * Syncs until `probe` finds what it looks for in everything synced so far, and returns it;
   * WaitTimeout naming `what` after `timeoutMs`.
   */
  async syncUntil<T>(what: string, probe: (view: SyncView) => T | undefined | false | null, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    if (this.view.nextBatch === undefined) await this.syncOnce(0);
    for (;;) {
      const found = probe(this.view);
      if (found !== undefined && found !== false && found !== null) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeout(`${this.userId} on ${this.server.name}: timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await this.syncOnce(Math.min(left, 1000));
    }
  }

  /** Waits for a timeline event of the room that `match` accepts. */
  waitForEvent(roomId: string, what: string, match: (e: ClientEvent) => boolean, timeoutMs?: number): Promise<ClientEvent> {
    return this.syncUntil(what, (v) => v.findEvent(roomId, match), timeoutMs);
  }

  /** Waits until the room shows up with this membership for us (`invite`, `join`, `leave`). */
  waitForRoom(roomId: string, membership: 'invite' | 'join' | 'leave', timeoutMs?: number): Promise<unknown> {
    return this.syncUntil(`${roomId} in rooms.${membership}`, (v) => v.room(roomId)?.membership === membership, timeoutMs);
  }
}

// ---- accounts ----

/** The MAC of Synapse-compatible shared-secret registration (HMAC-SHA1, NUL-separated fields). */
function registrationMac(secret: string, nonce: string, username: string, password: string, admin: boolean): string {
  return createHmac('sha1', secret).update(`${nonce}\0${username}\0${password}\0${admin ? 'admin' : 'notadmin'}`).digest('hex');
}

/** Registers `localpart` on `server` through `/_synapse/admin/v1/register` and logs it in. */
export async function registerUser(server: HearthServer, sharedSecret: string, localpart: string, opts: { admin?: boolean; displayname?: string } = {}): Promise<MatrixUser> {
  const nonce = await server.client('/_synapse/admin/v1/register');
  if (nonce.status !== 200) throw new MatrixHttpError('GET', `${server.name}/_synapse/admin/v1/register`, nonce.status, nonce.body);
  const admin = opts.admin ?? false;
  const res = await server.client('/_synapse/admin/v1/register', {
    method: 'POST',
    body: {
      nonce: nonce.body.nonce,
      username: localpart,
      password: PASSWORD,
      admin,
      ...(opts.displayname ? { displayname: opts.displayname } : {}),
      mac: registrationMac(sharedSecret, nonce.body.nonce, localpart, PASSWORD, admin),
    },
  });
  if (res.status !== 200) throw new MatrixHttpError('POST', `${server.name}/_synapse/admin/v1/register`, res.status, res.body);
  return new MatrixUser(server, res.body.user_id, res.body.access_token, res.body.device_id);
}

export async function loginUser(server: HearthServer, userId: string, deviceId?: string): Promise<MatrixUser> {
  const res = await server.client(`${C}/login`, {
    method: 'POST',
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: PASSWORD, ...(deviceId ? { device_id: deviceId } : {}) },
  });
  if (res.status !== 200) throw new MatrixHttpError('POST', `${server.name}${C}/login`, res.status, res.body);
  return new MatrixUser(server, res.body.user_id, res.body.access_token, res.body.device_id);
}
