import { createSignal, batch, type Accessor } from 'solid-js';
import { createStore, reconcile, type SetStoreFunction } from 'solid-js/store';
import { MatrixApi, newTxnId } from '../matrix/api';
import { HttpClient } from '../matrix/http';
import { directRoomIds, isDirect, isEncrypted, stateContent } from '../matrix/room-info';
import type { ClientStore } from '../matrix/store/store';
import { openStore } from '../matrix/store/indexeddb';
import { applySync, emptySyncState, prependHistory, type RoomData, type SyncState } from '../matrix/sync/accumulator';
import { LongPollTransport } from '../matrix/sync/longpoll';
import { SyncLoop, type SyncStatus } from '../matrix/sync/loop';
import { newTimelineEvents } from '../matrix/sync/new-events';
import { WebSocketTransport } from '../matrix/sync/websocket';
import { clearEvent, isVerificationEvent, mentions, type DecryptedView, type PendingEvent } from '../matrix/timeline-view';
import { notificationFor } from '../matrix/notify';
import type { CryptoEngine, DeviceInfo, VerificationLike } from '../matrix/crypto/engine';
import type { VerificationSnapshot } from '../matrix/crypto/engine';
import type { JsonObject, MatrixEvent, SyncResponse } from '../matrix/types';
import type { Session } from './session';
import { PushRulesState } from './push';
import { MediaFiles } from './media';
import { MessageSearch } from './search';

interface Pending extends PendingEvent {
  roomId: string;
  eventId?: string;
}


export interface ActiveVerification {
  id: number;
  v: VerificationLike;
  snapshot: Accessor<VerificationSnapshot | undefined>;
}

/**
 * The signed-in client: the protocol layer wired to Solid stores. Every change goes the same
 * way: fold into the plain state, persist it, then publish it to the UI (persist first, so what
 * was shown is what a reload shows).
 */
export class HearthClient {
  readonly api: MatrixApi;
  readonly userId: string;
  readonly sync: SyncState;
  readonly pending: Record<string, PendingEvent[]>;
  readonly status: Accessor<SyncStatus>;
  /** True once state from storage or the network is shown. */
  readonly ready: Accessor<boolean>;
  /** What encrypted events decrypted to (or why not), by event ID; never persisted. */
  readonly decrypted: Record<string, DecryptedView>;
  readonly cryptoStatus: Accessor<'loading' | 'ready' | 'unavailable'>;
  crypto: CryptoEngine | undefined;
  /** Verifications in progress, newest last; the UI shows the last one as a dialog. */
  readonly verifications: Accessor<ActiveVerification[]>;
  private readonly setVerifications: (f: (v: ActiveVerification[]) => ActiveVerification[]) => void;

  private plain: SyncState = emptySyncState();
  private readonly setSync: SetStoreFunction<SyncState>;
  private readonly setPending: SetStoreFunction<Record<string, PendingEvent[]>>;
  private readonly setStatus: (s: SyncStatus) => void;
  private readonly setReady: (r: boolean) => void;
  private readonly setDecrypted: SetStoreFunction<Record<string, DecryptedView>>;
  private readonly setCryptoStatus: (s: 'loading' | 'ready' | 'unavailable') => void;
  private cryptoLoading: Promise<void> = Promise.resolve();
  private readonly pendingByTxn = new Map<string, Pending>();
  private readonly paginating = new Map<string, Promise<void>>();
  private loop: SyncLoop | undefined;
  private typingSentAt = new Map<string, number>();
  private live = false;
  /** Thread events fetched from the server (not in the room's timeline), by room; the latest few threads. */
  private readonly threadEvents = new Map<string, MatrixEvent[]>();
  /** Push rules, and the per-room mute. */
  readonly push: PushRulesState;
  /** Thumbnails, downloads and uploads. */
  readonly media: MediaFiles;
  readonly search: MessageSearch;
  /** Bumped when this device's trust changed (secrets arrived from another device). */
  readonly trustChanged: Accessor<number>;
  private readonly setTrustChanged: (f: (n: number) => number) => void;
  /** Bumped after others' keys were fetched again: a signature a verification just made counts only from then. */
  private readonly identities = createSignal(0);
  readonly identitiesChanged: Accessor<number> = this.identities[0];

  private constructor(
    readonly session: Session,
    private readonly store: ClientStore,
    onLoggedOut: () => void,
  ) {
    this.userId = session.userId;
    // Once stopped (signed out here), a refused token is expected, not news.
    this.api = new MatrixApi(new HttpClient({ baseUrl: session.homeserverUrl, accessToken: session.accessToken, onUnknownToken: () => this.stopped || onLoggedOut() }));
    const [sync, setSync] = createStore<SyncState>(emptySyncState());
    const [pending, setPending] = createStore<Record<string, PendingEvent[]>>({});
    const [status, setStatus] = createSignal<SyncStatus>('connecting');
    const [ready, setReady] = createSignal(false);
    const [decrypted, setDecrypted] = createStore<Record<string, DecryptedView>>({});
    const [cryptoStatus, setCryptoStatus] = createSignal<'loading' | 'ready' | 'unavailable'>('loading');
    const [verifications, setVerifications] = createSignal<ActiveVerification[]>([]);
    this.verifications = verifications;
    this.media = new MediaFiles(this.api, store, async () => {
      await this.cryptoLoading;
      return this.crypto;
    });
    this.search = new MessageSearch(this.api, () => this.plain.rooms, decrypted);
    this.push = new PushRulesState(this.api, this.userId, () => this.sync.accountData, () => this.plain.accountData);
    const [askedPresence, setAskedPresence] = createSignal<Record<string, { presence: string; statusMsg: string | undefined }>>({});
    this.askedPresence = askedPresence;
    this.setAskedPresence = setAskedPresence;
    const [trustChanged, setTrustChanged] = createSignal(0);
    this.trustChanged = trustChanged;
    this.setTrustChanged = setTrustChanged;
    this.setVerifications = setVerifications;
    this.decrypted = decrypted;
    this.setDecrypted = setDecrypted;
    this.cryptoStatus = cryptoStatus;
    this.setCryptoStatus = setCryptoStatus;
    this.sync = sync;
    this.setSync = setSync;
    this.pending = pending;
    this.setPending = setPending;
    this.status = status;
    this.setStatus = setStatus;
    this.ready = ready;
    this.setReady = setReady;
  }

  /** Opens the account's store and shows what it holds at once, then starts syncing. */
  static async open(session: Session, onLoggedOut: () => void): Promise<HearthClient> {
    const store = await openStore(session.userId);
    const client = new HearthClient(session, store, onLoggedOut);
    const cached = await store.load().catch(() => undefined);
    if (cached) {
      client.plain = cached;
      client.setSync(reconcile(cached));
      client.setReady(true);
    }
    client.cryptoLoading = client.startCrypto();
    client.startSync(onLoggedOut);
    return client;
  }

  /**
   * Loads the crypto engine (a large WebAssembly module, so only now, after the cached rooms are
   * on screen). Without it the client still works, for unencrypted rooms.
   */
  private async startCrypto(): Promise<void> {
    try {
      const { OlmEngine } = await import('../matrix/crypto/olm');
      this.crypto = await OlmEngine.create(this.api.http, this.userId, this.session.deviceId);
      this.crypto.onRoomKeys(() => void this.decryptRooms(Object.keys(this.plain.rooms), true));
      this.crypto.onVerificationRequest((v) => this.addVerification(v));
      this.crypto.onSecretsReceived(() => this.setTrustChanged((n) => n + 1));
      this.crypto.onIdentitiesChanged(() => this.identities[1]((n) => n + 1));
      this.setCryptoStatus('ready');
      await this.decryptRooms(Object.keys(this.plain.rooms));
      // A new account gets its cross-signing keys at once, so its devices can vouch for each other.
      void this.crypto.setupCrossSigning().catch((err: unknown) => console.warn('cross-signing setup failed', err));
    } catch (err) {
      console.warn('end-to-end encryption unavailable', err);
      this.setCryptoStatus('unavailable');
    }
  }

  /** Decrypts the encrypted events of these rooms (their timelines and threads opened) that are not readable yet. */
  private async decryptRooms(roomIds: readonly string[], retryFailed = false, again = false): Promise<void> {
    for (const roomId of roomIds) {
      const room = this.plain.rooms[roomId];
      if (!room) continue;
      await this.decryptEvents(roomId, [...room.timeline, ...(this.threadEvents.get(roomId) ?? [])], retryFailed, again);
    }
  }

  /** `again`: decrypt readable ones too, for their authenticity shields after a verification. */
  private async decryptEvents(roomId: string, events: readonly MatrixEvent[], retryFailed = false, again = false): Promise<void> {
    const crypto = this.crypto;
    if (!crypto) return;
    for (const e of events) {
      if (e.type !== 'm.room.encrypted') continue;
      const known = this.decrypted[e.event_id];
      if (!again && (known?.ok || (known && !retryFailed))) continue;
      const d = await crypto.decrypt(roomId, e);
      this.setDecrypted(e.event_id, d.ok ? { ok: true, type: d.type, content: d.content, shield: d.shield } : { ok: false, reason: 'Unable to decrypt: the key has not arrived (yet)' });
    }
  }

  /** People whose devices should get the room's keys: members, and those invited. */
  private recipients(roomId: string): string[] {
    const room = this.plain.rooms[roomId];
    if (!room) return [];
    return Object.entries(room.state['m.room.member'] ?? {})
      .filter(([, e]) => e.content.membership === 'join' || e.content.membership === 'invite')
      .map(([id]) => id);
  }

  /** The type and content to put on the wire: encrypted in an encrypted room. */
  private async wire(roomId: string, type: string, content: JsonObject): Promise<[string, JsonObject]> {
    const room = this.plain.rooms[roomId];
    if (!room || !isEncrypted(room)) return [type, content];
    await this.cryptoLoading;
    if (!this.crypto) throw new Error('This room is encrypted, and encryption could not start in this browser.');
    const history = String(stateContent(room, 'm.room.history_visibility')?.history_visibility ?? 'shared');
    return ['m.room.encrypted', await this.crypto.encrypt(roomId, type, content, this.recipients(roomId), history)];
  }

  private startSync(onLoggedOut: () => void): void {
    this.loop = new SyncLoop({
      transports: [new WebSocketTransport(this.session.homeserverUrl, this.session.accessToken), new LongPollTransport(this.api)],
      since: () => this.plain.nextBatch,
      onSync: (res) => this.onSync(res),
      onStatus: (s) => this.setStatus(s),
      onLoggedOut,
    });
    void this.loop.start();
  }

  private async onSync(res: SyncResponse): Promise<void> {
    const initial = this.plain.nextBatch === undefined;
    // Keys in to-device messages must be in before this sync's room events are decrypted.
    await this.cryptoLoading;
    await this.crypto?.receiveSync(res).catch((err: unknown) => console.warn('crypto sync failed', err));
    const { state, changed } = applySync(this.plain, res, this.userId);
    await this.store.save(state, changed).catch(() => undefined);
    const before = this.plain;
    this.plain = state;
    // Someone who just joined a room with us may now be asked for their presence (again).
    for (const room of Object.values(res.rooms?.join ?? {})) {
      for (const e of room.timeline?.events ?? []) if (e.type === 'm.room.member' && e.content.membership === 'join' && e.state_key) this.presenceAsked.delete(e.state_key);
    }
    this.publish(changed);
    this.settlePending(res);
    const notify = !initial && this.live;
    this.live = true;
    this.setReady(true);
    if (this.crypto) {
      const encryptedRooms = changed.filter((id) => isEncrypted(this.plain.rooms[id]!));
      void this.crypto.trackUsers([...new Set(encryptedRooms.flatMap((id) => this.recipients(id)))]).then(() => this.crypto?.flush()).catch(() => undefined);
    }
    if (res.account_data?.events?.some((e) => e.type === 'm.push_rules')) this.push.invalidate();
    // What the new events say is known only once they are decrypted: notifications and in-room
    // verification wait for that (one sync after another, in order).
    const fresh = newTimelineEvents(before, res);
    this.afterSync = this.afterSync
      .then(() => this.decryptRooms(changed))
      .then(() => this.handleNew(fresh, notify))
      .catch((err: unknown) => console.warn('handling new events failed', err));
  }

  private afterSync: Promise<void> = Promise.resolve();

  /** In-room verification events go to the crypto engine; messages may notify. */
  private async handleNew(fresh: Array<[string, MatrixEvent[]]>, notify: boolean): Promise<void> {
    for (const [roomId, events] of fresh) {
      const room = this.plain.rooms[roomId];
      if (!room) continue;
      for (const raw of events) {
        const e = clearEvent(raw, this.decrypted);
        // Our own device's events (it alone sees their transaction ID) the engine knows already;
        // a request older than ten minutes is stale (the spec has clients ignore it).
        if (this.crypto && isVerificationEvent(e) && raw.unsigned?.transaction_id === undefined && Date.now() - e.origin_server_ts < 10 * 60_000) {
          await this.crypto.receiveRoomVerificationEvent(roomId, e).catch((err: unknown) => console.warn('verification event not handled', err));
        }
        if (notify) this.notify(room, e);
      }
    }
  }

  private publish(changedRooms: readonly string[]): void {
    batch(() => {
      this.setSync('nextBatch', this.plain.nextBatch);
      this.setSync('accountData', reconcile(this.plain.accountData));
      this.setSync('presence', reconcile(this.plain.presence));
      for (const id of changedRooms) this.setSync('rooms', id, reconcile(this.plain.rooms[id]!, { key: 'event_id' }));
    });
  }

  private settlePending(res: SyncResponse): void {
    if (this.pendingByTxn.size === 0) return;
    const seen = new Map<string, MatrixEvent>();
    for (const room of Object.values(res.rooms?.join ?? {})) {
      for (const e of room.timeline?.events ?? []) {
        const txn = e.unsigned?.transaction_id;
        if (typeof txn === 'string') seen.set(txn, e);
        seen.set(e.event_id, e);
      }
    }
    batch(() => {
      for (const p of [...this.pendingByTxn.values()]) {
        const e = seen.get(p.txnId) ?? (p.eventId ? seen.get(p.eventId) : undefined);
        if (e) this.dropPending(p, e);
      }
    });
  }

  /**
   * The echo gives way to the event the server sent back. Our own encrypted message reads as what
   * we sent at once (no "waiting for the key" flash while it decrypts).
   */
  private dropPending(p: Pending, echoed?: MatrixEvent): void {
    this.pendingByTxn.delete(p.txnId);
    if (echoed?.type === 'm.room.encrypted' && !this.decrypted[echoed.event_id]) {
      this.setDecrypted(echoed.event_id, { ok: true, type: p.type, content: p.content, shield: { color: 'none', message: undefined } });
    }
    this.setPending(p.roomId, (list = []) => list.filter((x) => x.txnId !== p.txnId));
  }

  /** A browser notification for a new event, when the tab is hidden and the push rules say so. */
  private notify(room: RoomData, e: MatrixEvent): void {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted' || !document.hidden) return;
    if (localStorage.getItem('hearth.notify') !== '1' || this.isMuted(room.roomId)) return;
    const n = notificationFor(room, e, this.push.rules(), this.userId, this.ownName());
    if (!n) return;
    const shown = new Notification(n.title, { body: n.body, tag: room.roomId });
    shown.onclick = () => {
      window.focus();
      window.location.assign(`/room/${encodeURIComponent(room.roomId)}`);
    };
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    this.loop?.stop();
    this.store.close();
    this.crypto?.close();
  }

  /** Signs out on the server, then forgets everything stored for this account here. */
  async logout(): Promise<void> {
    this.stopped = true;
    this.loop?.stop();
    await this.api.logout().catch(() => undefined);
    await this.wipe();
  }

  private async wipe(): Promise<void> {
    this.crypto?.close();
    this.crypto = undefined;
    await this.store.clear().catch(() => undefined);
    const { deleteCryptoStore } = await import('../matrix/crypto/olm');
    await deleteCryptoStore(this.userId, this.session.deviceId).catch(() => undefined);
  }

  /** After the server refused our token: the local copy belongs to a dead session. */
  async forget(): Promise<void> {
    this.stopped = true;
    this.loop?.stop();
    await this.wipe();
  }

  /** Something changed this session's keys (a backup restored, secrets received): views re-ask. */
  trustUpdated(): void {
    this.setTrustChanged((n) => n + 1);
  }

  /**
   * A session whose account keeps a key backup it cannot open yet (new, not verified): it should be
   * verified from another session, or given the recovery key.
   */
  async lacksKeys(): Promise<boolean> {
    await this.cryptoLoading;
    const crypto = this.crypto;
    if (!crypto || (await crypto.hasCrossSigningKeys())) return false;
    const backup = await crypto.backupInfo().catch(() => undefined);
    return backup !== undefined && !backup.enabled;
  }

  /**
   * What we know of someone's presence, for dots and status lines: from sync, else asked for once
   * (sync only tells changes, so someone met after their last change would stay unknown).
   */
  presenceOf(userId: string): { presence: string; statusMsg: string | undefined } | undefined {
    const p = this.sync.presence[userId] ?? this.askedPresence()[userId];
    if (!p && !this.presenceAsked.has(userId) && this.presenceAsked.size < 500) {
      this.presenceAsked.add(userId);
      void this.api
        .presence(userId)
        .then((r) => this.setAskedPresence((all) => ({ ...all, [userId]: { presence: r.presence, statusMsg: r.status_msg ?? undefined } })))
        .catch(() => undefined);
    }
    return p ? { presence: p.presence, statusMsg: p.statusMsg } : undefined;
  }

  private readonly presenceAsked = new Set<string>();
  private readonly askedPresence: Accessor<Record<string, { presence: string; statusMsg: string | undefined }>>;
  private readonly setAskedPresence: (f: (all: Record<string, { presence: string; statusMsg: string | undefined }>) => Record<string, { presence: string; statusMsg: string | undefined }>) => void;

  /** Someone's display name from any room we share, if they set one. */
  nameOf(userId: string): string | undefined {
    for (const room of Object.values(this.sync.rooms)) {
      const n = room.state['m.room.member']?.[userId]?.content.displayname;
      if (typeof n === 'string' && n) return n;
    }
    return undefined;
  }

  ownName(): string | undefined {
    for (const room of Object.values(this.plain.rooms)) {
      const n = room.state['m.room.member']?.[this.userId]?.content.displayname;
      if (typeof n === 'string') return n;
    }
    return undefined;
  }

  // ---- verification ----

  private nextVerification = 1;

  private addVerification(v: VerificationLike): void {
    const [snap, setSnap] = createSignal<VerificationSnapshot | undefined>();
    let finished = false;
    v.onChange((s) => {
      setSnap(s);
      if (s.phase !== 'done' || finished) return;
      finished = true;
      // Trust changed: messages already shown may lose (or gain) their warning.
      this.setTrustChanged((n) => n + 1);
      void this.decryptRooms(Object.keys(this.plain.rooms), true, true);
    });
    this.setVerifications((list) => [...list, { id: this.nextVerification++, v, snapshot: snap }]);
  }

  async verifyDevice(userId: string, deviceId: string): Promise<void> {
    await this.cryptoLoading;
    if (!this.crypto) throw new Error('Encryption is not available in this browser.');
    this.addVerification(await this.crypto.requestVerification(userId, deviceId));
  }

  /**
   * Verifies another person by comparing emoji, in our direct chat with them (made when there is
   * none). Their devices count as verified afterwards through their cross-signing.
   */
  async verifyUser(userId: string): Promise<void> {
    await this.cryptoLoading;
    const crypto = this.crypto;
    if (!crypto) throw new Error('Encryption is not available in this browser.');
    const roomId = this.existingDm(userId) ?? (await this.startDm(userId));
    this.addVerification(
      await crypto.requestUserVerification(roomId, userId, async (content) => {
        const [type, wireContent] = await this.wire(roomId, 'm.room.message', content);
        return (await this.api.send(roomId, type, newTxnId(), wireContent)).event_id;
      }),
    );
  }

  async isUserVerified(userId: string): Promise<boolean> {
    await this.cryptoLoading;
    return (await this.crypto?.isUserVerified(userId)) ?? false;
  }

  dismissVerification(id: number): void {
    this.setVerifications((list) => list.filter((x) => x.id !== id));
  }

  async devices(userId: string): Promise<DeviceInfo[]> {
    await this.cryptoLoading;
    return this.crypto ? this.crypto.devices(userId) : [];
  }

  // ---- media ----

  /** Uploads a file and sends it as the message kind its type calls for. */
  async sendFile(roomId: string, file: Blob, name: string, extra: JsonObject = {}, onProgress?: (fraction: number) => void): Promise<void> {
    const room = this.plain.rooms[roomId];
    await this.sendMessage(roomId, await this.media.fileMessage(file, name, !!room && isEncrypted(room), extra, onProgress));
  }

  // ---- history ----

  /** Loads a page of older messages for a room; concurrent calls share one request. */
  paginate(roomId: string): Promise<void> {
    const running = this.paginating.get(roomId);
    if (running) return running;
    const p = this.doPaginate(roomId).finally(() => this.paginating.delete(roomId));
    this.paginating.set(roomId, p);
    return p;
  }

  private async doPaginate(roomId: string): Promise<void> {
    const room = this.plain.rooms[roomId];
    if (!room || room.historyComplete || room.membership === 'invite') return;
    const first = room.timeline[0];
    let token = room.prevBatch;
    if (!token && first) token = (await this.api.context(roomId, first.event_id)).start;
    if (!token && first) return;
    const page = await this.api.messages(roomId, token, 40);
    const now = this.plain.rooms[roomId];
    // A gap sync replaced the timeline meanwhile: this page no longer joins onto it.
    if (!now || now.timeline[0]?.event_id !== first?.event_id) return;
    this.plain = { ...this.plain, rooms: { ...this.plain.rooms, [roomId]: prependHistory(now, page) } };
    await this.store.save(this.plain, [roomId]).catch(() => undefined);
    this.publish([roomId]);
    void this.decryptRooms([roomId]);
  }

  canPaginate(roomId: string): boolean {
    const r = this.sync.rooms[roomId];
    return !!r && !r.historyComplete && r.membership === 'join';
  }

  // ---- sending ----

  private async sendWithEcho(roomId: string, type: string, content: JsonObject): Promise<void> {
    const txnId = newTxnId();
    const p: Pending = { roomId, txnId, type, content, ts: Date.now(), failed: false };
    this.pendingByTxn.set(txnId, p);
    this.setPending(roomId, (list = []) => [...list, { txnId, type, content, ts: p.ts, failed: false }]);
    try {
      const [wireType, wireContent] = await this.wire(roomId, type, content);
      const { event_id } = await this.api.send(roomId, wireType, txnId, wireContent);
      p.eventId = event_id;
      // The event may have come down sync before the send answered.
      const echoed = this.plain.rooms[roomId]?.timeline.find((e) => e.event_id === event_id);
      if (echoed) this.dropPending(p, echoed);
    } catch (err) {
      this.setPending(roomId, (list = []) => list.map((x) => (x.txnId === txnId ? { ...x, failed: true } : x)));
      throw err;
    }
  }

  async retry(roomId: string, txnId: string): Promise<void> {
    const p = this.pendingByTxn.get(txnId);
    if (!p) return;
    this.dropPending(p);
    await this.sendWithEcho(roomId, p.type, p.content);
  }

  sendMessage(roomId: string, content: JsonObject): Promise<void> {
    void this.setTyping(roomId, false);
    return this.sendWithEcho(roomId, 'm.room.message', content);
  }

  async react(roomId: string, eventId: string, key: string): Promise<void> {
    const [type, content] = await this.wire(roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } });
    await this.api.send(roomId, type, newTxnId(), content);
  }

  async redact(roomId: string, eventId: string): Promise<void> {
    await this.api.redact(roomId, eventId, newTxnId());
  }

  /** Throttled: the server keeps "typing" for 30 s, so we renew it every 20 s at most. */
  async setTyping(roomId: string, typing: boolean): Promise<void> {
    const last = this.typingSentAt.get(roomId);
    if (typing && last !== undefined && Date.now() - last < 20_000) return;
    if (!typing && last === undefined) return;
    if (typing) this.typingSentAt.set(roomId, Date.now());
    else this.typingSentAt.delete(roomId);
    await this.api.typing(roomId, this.userId, typing).catch(() => undefined);
  }

  /** Moves our read receipt and fully-read marker to `eventId` if it is newer than ours. */
  async markRead(roomId: string, event: MatrixEvent): Promise<void> {
    const room = this.plain.rooms[roomId];
    if (!room || event.event_id.startsWith('~')) return;
    const mine = room.receipts[this.userId];
    const fully = room.accountData['m.fully_read']?.event_id;
    if (mine?.eventId === event.event_id && fully === event.event_id && room.notificationCount === 0) return;
    await this.api.readMarkers(roomId, event.event_id).catch(() => undefined);
  }

  // ---- rooms ----

  existingDm(userId: string): string | undefined {
    const direct = this.plain.accountData['m.direct'] ?? {};
    const ids = Array.isArray(direct[userId]) ? (direct[userId] as string[]) : [];
    return ids.find((id) => {
      const r = this.plain.rooms[id];
      return r && r.membership !== 'leave';
    });
  }

  private async addDirect(userId: string, roomId: string): Promise<void> {
    const direct = { ...(this.plain.accountData['m.direct'] ?? {}) } as Record<string, string[]>;
    const list = Array.isArray(direct[userId]) ? direct[userId] : [];
    if (list.includes(roomId)) return;
    direct[userId] = [...list, roomId];
    await this.api.setAccountData(this.userId, 'm.direct', direct);
  }

  async startDm(userId: string): Promise<string> {
    const existing = this.existingDm(userId);
    if (existing) return existing;
    await this.cryptoLoading;
    const { room_id } = await this.api.createRoom({
      preset: 'trusted_private_chat',
      is_direct: true,
      invite: [userId],
      // Direct chats are end-to-end encrypted whenever this browser can.
      ...(this.crypto ? { initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] } : {}),
    });
    await this.addDirect(userId, room_id);
    return room_id;
  }

  /**
   * A new group. Who may join decides the preset: invited people only, anyone who asks (knock,
   * listed in the directory) or anyone (public, listed). Private groups are end-to-end encrypted
   * when this browser can; a picture is uploaded first and set with the room's first state.
   */
  async createGroup(p: { name: string; topic: string; invite: string[]; access: 'invite' | 'knock' | 'public'; encrypted: boolean; avatar?: File | undefined }): Promise<string> {
    await this.cryptoLoading;
    const initialState: JsonObject[] = [];
    if (p.avatar) initialState.push({ type: 'm.room.avatar', state_key: '', content: await this.media.imageContent(p.avatar) });
    if (p.access === 'knock') initialState.push({ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } });
    if (p.encrypted && this.crypto) initialState.push({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    const { room_id } = await this.api.createRoom({
      preset: p.access === 'public' ? 'public_chat' : 'private_chat',
      visibility: p.access === 'invite' ? 'private' : 'public',
      name: p.name,
      ...(p.topic ? { topic: p.topic } : {}),
      invite: p.invite,
      initial_state: initialState,
    });
    return room_id;
  }

  async setRoomAvatar(roomId: string, file: File | undefined): Promise<void> {
    await this.api.setState(roomId, 'm.room.avatar', '', file ? await this.media.imageContent(file) : {});
  }

  // ---- knocking and the directory ----

  async joinPublic(roomId: string): Promise<void> {
    await this.api.join(roomId, [roomId.split(':').slice(1).join(':')].filter(Boolean));
  }

  async knock(roomId: string, reason?: string): Promise<void> {
    await this.api.knock(roomId, reason);
  }

  /** Letting someone in who knocked is inviting them; turning them away is a kick from "knock". */
  async answerKnock(roomId: string, userId: string, accept: boolean): Promise<void> {
    await this.api.membership(roomId, accept ? 'invite' : 'kick', userId);
  }

  // ---- threads ----

  /** A thread's root and replies from the server (the timeline may hold only some); decrypted. */
  async loadThread(roomId: string, rootId: string): Promise<MatrixEvent[]> {
    const inTimeline = this.plain.rooms[roomId]?.timeline.find((e) => e.event_id === rootId);
    const [root, rel] = await Promise.all([inTimeline ?? this.api.event(roomId, rootId), this.api.relations(roomId, rootId, 'm.thread', { limit: 100 })]);
    const events = [root, ...rel.chunk];
    // Only the latest few threads per room are kept; the timeline holds the rest.
    const kept = (this.threadEvents.get(roomId) ?? []).filter((e) => !events.some((x) => x.event_id === e.event_id));
    this.threadEvents.set(roomId, [...kept, ...events].slice(-500));
    await this.decryptEvents(roomId, events);
    return events;
  }

  async acceptInvite(roomId: string): Promise<void> {
    const room = this.plain.rooms[roomId];
    await this.api.join(roomId);
    if (room && isDirect(room, this.plain, this.userId)) {
      const inviter = room.inviteState.find((e) => e.type === 'm.room.member' && e.state_key === this.userId)?.sender;
      if (inviter) await this.addDirect(inviter, roomId).catch(() => undefined);
    }
  }

  async declineInvite(roomId: string): Promise<void> {
    await this.api.leave(roomId);
  }

  async leave(roomId: string): Promise<void> {
    await this.api.leave(roomId);
  }

  isMuted(roomId: string): boolean {
    return this.push.isMuted(roomId);
  }

  setMuted(roomId: string, muted: boolean): Promise<void> {
    return this.push.setMuted(roomId, muted);
  }

  isDirect(roomId: string): boolean {
    const r = this.sync.rooms[roomId];
    return !!r && (directRoomIds(this.sync).has(roomId) || isDirect(r, this.sync, this.userId));
  }

  /**
   * Pages a room's history in until it holds the event (at most `maxPages` pages); whether it
   * does then.
   */
  async loadUntil(roomId: string, eventId: string, maxPages = 50): Promise<boolean> {
    const has = (): boolean => !!this.plain.rooms[roomId]?.timeline.some((e) => e.event_id === eventId);
    let stalled = 0;
    for (let i = 0; i < maxPages && stalled < 3 && !has() && this.canPaginate(roomId); i++) {
      const before = this.plain.rooms[roomId]?.timeline.length;
      await this.paginate(roomId);
      // A page that brought nothing (a gap sync raced it) is tried again, a few times.
      stalled = this.plain.rooms[roomId]?.timeline.length === before ? stalled + 1 : 0;
    }
    return has();
  }

  mentionsMe(content: JsonObject): boolean {
    return mentions(content, this.userId, this.ownName());
  }
}
