import type { HttpClient, RequestOptions } from './http';
import { MatrixError } from './errors';
import type { RoomEventsCriteria, SearchResponse } from './server-search';
import type { Device, DirectoryUser, JsonObject, LoginResponse, MatrixEvent, MessagesResponse, Profile, PublicRoomsResponse, SyncResponse, UiaFlowsResponse } from './types';

const C = '/_matrix/client/v3';

export function parseMxc(mxc: string): { server: string; mediaId: string } | undefined {
  const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
  return m ? { server: m[1]!, mediaId: m[2]! } : undefined;
}

let txnCounter = 0;
/** Unique per session and tab: the server deduplicates retries of one send by it. */
export function newTxnId(): string {
  return `h${Date.now().toString(36)}${(txnCounter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export interface RegisterParams {
  username: string;
  password: string;
  registrationToken?: string | undefined;
  deviceName?: string | undefined;
}

/** The Matrix endpoints the client uses, typed. One instance per signed-in session. */
export class MatrixApi {
  constructor(readonly http: HttpClient) {}

  private req<T>(method: string, p: string, options?: RequestOptions): Promise<T> {
    return this.http.request<T>(method, p, options);
  }

  // ---- account ----

  versions(): Promise<{ versions: string[] }> {
    return this.req('GET', '/_matrix/client/versions', { anonymous: true });
  }

  loginFlows(): Promise<{ flows: Array<{ type: string }> }> {
    return this.req('GET', `${C}/login`, { anonymous: true });
  }

  login(user: string, password: string, deviceName: string): Promise<LoginResponse> {
    return this.req('POST', `${C}/login`, {
      anonymous: true,
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, initial_device_display_name: deviceName },
    });
  }

  /** The flows registration offers (the first, auth-less step of user-interactive auth). */
  async registerFlows(): Promise<UiaFlowsResponse> {
    try {
      await this.req('POST', `${C}/register`, { anonymous: true, body: {} });
    } catch (err) {
      if (err instanceof MatrixError && err.status === 401 && Array.isArray(err.body.flows)) return err.body as unknown as UiaFlowsResponse;
      throw err;
    }
    throw new Error('The server registered an account without asking anything');
  }

  /**
   * Registers through user-interactive auth: the registration token stage when a token is given,
   * m.login.dummy otherwise (open registration).
   */
  async register(p: RegisterParams): Promise<LoginResponse> {
    const flows = await this.registerFlows();
    const base = { username: p.username, password: p.password, initial_device_display_name: p.deviceName };
    const stage = p.registrationToken ? 'm.login.registration_token' : 'm.login.dummy';
    if (!flows.flows.some((f) => f.stages.length === 1 && f.stages[0] === stage)) {
      throw new MatrixError(403, 'M_FORBIDDEN', p.registrationToken ? 'This server does not take registration tokens' : 'Registration on this server needs a registration token');
    }
    const auth = p.registrationToken ? { type: stage, token: p.registrationToken, session: flows.session } : { type: stage, session: flows.session };
    return this.req('POST', `${C}/register`, { anonymous: true, body: { ...base, auth } });
  }

  usernameAvailable(username: string): Promise<{ available: boolean }> {
    return this.req('GET', `${C}/register/available`, { anonymous: true, query: { username } });
  }

  logout(): Promise<void> {
    return this.req('POST', `${C}/logout`, { body: {} });
  }

  whoami(): Promise<{ user_id: string; device_id?: string }> {
    return this.req('GET', `${C}/account/whoami`);
  }

  devices(): Promise<{ devices: Device[] }> {
    return this.req('GET', `${C}/devices`);
  }

  /** Deleting devices asks for the password again (user-interactive auth). */
  async deleteDevices(devices: string[], userId: string, password: string): Promise<void> {
    let session: string | undefined;
    try {
      await this.req('POST', `${C}/delete_devices`, { body: { devices } });
      return;
    } catch (err) {
      if (!(err instanceof MatrixError) || err.status !== 401) throw err;
      session = typeof err.body.session === 'string' ? err.body.session : undefined;
    }
    await this.req('POST', `${C}/delete_devices`, {
      body: { devices, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password, session } },
    });
  }

  renameDevice(deviceId: string, displayName: string): Promise<void> {
    return this.req('PUT', `${C}/devices/${encodeURIComponent(deviceId)}`, { body: { display_name: displayName } });
  }

  profile(userId: string): Promise<Profile> {
    return this.req('GET', `${C}/profile/${encodeURIComponent(userId)}`);
  }

  setDisplayName(userId: string, displayname: string): Promise<void> {
    return this.req('PUT', `${C}/profile/${encodeURIComponent(userId)}/displayname`, { body: { displayname } });
  }

  setAvatarUrl(userId: string, avatar_url: string): Promise<void> {
    return this.req('PUT', `${C}/profile/${encodeURIComponent(userId)}/avatar_url`, { body: { avatar_url } });
  }

  presence(userId: string): Promise<{ presence: string; status_msg?: string | null; last_active_ago?: number; currently_active?: boolean }> {
    return this.req('GET', `${C}/presence/${encodeURIComponent(userId)}/status`);
  }

  setPresence(userId: string, presence: string, statusMsg?: string): Promise<void> {
    return this.req('PUT', `${C}/presence/${encodeURIComponent(userId)}/status`, { body: { presence, ...(statusMsg !== undefined ? { status_msg: statusMsg } : {}) } });
  }

  setAccountData(userId: string, type: string, content: JsonObject): Promise<void> {
    return this.req('PUT', `${C}/user/${encodeURIComponent(userId)}/account_data/${encodeURIComponent(type)}`, { body: content });
  }

  searchUsers(term: string, limit = 10): Promise<{ results: DirectoryUser[]; limited: boolean }> {
    return this.req('POST', `${C}/user_directory/search`, { body: { search_term: term, limit } });
  }

  // ---- media ----

  async upload(file: Blob, filename: string, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<string> {
    const blob = await this.http.upload('/_matrix/media/v3/upload', { body: file, query: { filename }, ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) });
    const res = JSON.parse(await blob.text()) as { content_uri?: unknown };
    if (typeof res.content_uri !== 'string') throw new MatrixError(500, 'M_UNKNOWN', 'The server did not return a content URI');
    return res.content_uri;
  }

  download(mxc: string, signal?: AbortSignal): Promise<Blob> {
    const m = parseMxc(mxc);
    if (!m) return Promise.reject(new MatrixError(400, 'M_INVALID_PARAM', `Not an mxc:// URI: ${mxc}`));
    return this.http.blob('GET', `/_matrix/client/v1/media/download/${encodeURIComponent(m.server)}/${encodeURIComponent(m.mediaId)}`, { signal });
  }

  thumbnail(mxc: string, size: number): Promise<Blob> {
    const m = parseMxc(mxc);
    if (!m) return Promise.reject(new MatrixError(400, 'M_INVALID_PARAM', `Not an mxc:// URI: ${mxc}`));
    return this.http.blob('GET', `/_matrix/client/v1/media/thumbnail/${encodeURIComponent(m.server)}/${encodeURIComponent(m.mediaId)}`, {
      query: { width: size, height: size, method: 'scale' },
    });
  }

  // ---- sync ----

  sync(params: { since?: string | undefined; timeout?: number; filter?: string; setPresence?: string }, signal?: AbortSignal): Promise<SyncResponse> {
    return this.req('GET', `${C}/sync`, {
      query: { since: params.since, timeout: params.timeout, filter: params.filter, set_presence: params.setPresence },
      signal,
      maxRetries: 0,
    });
  }

  // ---- rooms ----

  createRoom(body: JsonObject): Promise<{ room_id: string }> {
    return this.req('POST', `${C}/createRoom`, { body });
  }

  join(roomIdOrAlias: string, via: string[] = []): Promise<{ room_id: string }> {
    return this.req('POST', `${C}/join/${encodeURIComponent(roomIdOrAlias)}`, { body: {}, ...(via.length ? { query: { via: via.join(',') } } : {}) });
  }

  /** Asks to join a room whose join rule is `knock`; someone with invite power lets us in. */
  knock(roomIdOrAlias: string, reason?: string): Promise<{ room_id: string }> {
    return this.req('POST', `${C}/knock/${encodeURIComponent(roomIdOrAlias)}`, { body: reason ? { reason } : {} });
  }

  publicRooms(p: { term?: string; since?: string; limit?: number } = {}): Promise<PublicRoomsResponse> {
    return this.req('POST', `${C}/publicRooms`, {
      body: { limit: p.limit ?? 30, ...(p.since ? { since: p.since } : {}), ...(p.term ? { filter: { generic_search_term: p.term } } : {}) },
    });
  }

  roomVisibility(roomId: string): Promise<{ visibility: 'public' | 'private' }> {
    return this.req('GET', `${C}/directory/list/room/${encodeURIComponent(roomId)}`);
  }

  setRoomVisibility(roomId: string, visibility: 'public' | 'private'): Promise<void> {
    return this.req('PUT', `${C}/directory/list/room/${encodeURIComponent(roomId)}`, { body: { visibility } });
  }

  event(roomId: string, eventId: string): Promise<MatrixEvent> {
    return this.req('GET', `${C}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`);
  }

  /** Children of an event by relation type, newest first (threads: `m.thread`). */
  relations(roomId: string, eventId: string, relType: string, p: { from?: string; limit?: number } = {}): Promise<{ chunk: MatrixEvent[]; next_batch?: string }> {
    return this.req('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(eventId)}/${encodeURIComponent(relType)}`, {
      query: { from: p.from, limit: p.limit ?? 50, dir: 'b' },
    });
  }

  /** Server-side search of the user's rooms (`room_events`); `nextBatch` asks for the page after an earlier answer's. */
  search(roomEvents: RoomEventsCriteria, nextBatch?: string, signal?: AbortSignal): Promise<SearchResponse> {
    return this.req('POST', `${C}/search`, { body: { search_categories: { room_events: roomEvents } }, query: { next_batch: nextBatch }, signal });
  }

  // ---- push rules ----

  pushRules(): Promise<{ global?: JsonObject }> {
    return this.req('GET', `${C}/pushrules/`);
  }

  setPushRule(kind: string, ruleId: string, rule: JsonObject): Promise<void> {
    return this.req('PUT', `${C}/pushrules/global/${encodeURIComponent(kind)}/${encodeURIComponent(ruleId)}`, { body: rule });
  }

  deletePushRule(kind: string, ruleId: string): Promise<void> {
    return this.req('DELETE', `${C}/pushrules/global/${encodeURIComponent(kind)}/${encodeURIComponent(ruleId)}`);
  }

  leave(roomId: string): Promise<void> {
    return this.req('POST', `${C}/rooms/${encodeURIComponent(roomId)}/leave`, { body: {} });
  }

  forget(roomId: string): Promise<void> {
    return this.req('POST', `${C}/rooms/${encodeURIComponent(roomId)}/forget`, { body: {} });
  }

  membership(roomId: string, action: 'invite' | 'kick' | 'ban' | 'unban', userId: string, reason?: string): Promise<void> {
    return this.req('POST', `${C}/rooms/${encodeURIComponent(roomId)}/${action}`, { body: { user_id: userId, ...(reason ? { reason } : {}) } });
  }

  send(roomId: string, type: string, txnId: string, content: JsonObject): Promise<{ event_id: string }> {
    return this.req('PUT', `${C}/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`, { body: content });
  }

  redact(roomId: string, eventId: string, txnId: string, reason?: string): Promise<{ event_id: string }> {
    return this.req('PUT', `${C}/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${encodeURIComponent(txnId)}`, { body: reason ? { reason } : {} });
  }

  setState(roomId: string, type: string, stateKey: string, content: JsonObject): Promise<{ event_id: string }> {
    return this.req('PUT', `${C}/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`, { body: content });
  }

  messages(roomId: string, from: string | undefined, limit = 30, signal?: AbortSignal): Promise<MessagesResponse> {
    return this.req('GET', `${C}/rooms/${encodeURIComponent(roomId)}/messages`, { query: { from, dir: 'b', limit }, signal });
  }

  context(roomId: string, eventId: string, limit = 0): Promise<{ start?: string; end?: string; event: MatrixEvent; events_before?: MatrixEvent[] }> {
    return this.req('GET', `${C}/rooms/${encodeURIComponent(roomId)}/context/${encodeURIComponent(eventId)}`, { query: { limit } });
  }

  typing(roomId: string, userId: string, typing: boolean): Promise<void> {
    return this.req('PUT', `${C}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(userId)}`, { body: typing ? { typing, timeout: 30_000 } : { typing } });
  }

  readMarkers(roomId: string, eventId: string): Promise<void> {
    return this.req('POST', `${C}/rooms/${encodeURIComponent(roomId)}/read_markers`, { body: { 'm.fully_read': eventId, 'm.read': eventId } });
  }
}
