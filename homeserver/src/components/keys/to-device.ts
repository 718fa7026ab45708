import type { JsonObject } from '../../core/json.js';
import type { SyncExtension } from '../sync/deps.js';
import { serverOf, type KeysContext } from './context.js';
import type { DurableStream } from './durable-stream.js';
import { deviceKey, GuardedCache } from './guarded-cache.js';
import * as store from './storage/to-device.js';

/** Messages per sync response, as the spec recommends (and Synapse does). */
export const TO_DEVICE_PER_SYNC = 100;

/**
 * Messages kept for one device. Past it the oldest are dropped: refusing new ones instead would
 * fail a sender's whole request (room keys for every other device too) because of one device
 * nobody uses any more. A device in use drains its queue on every sync long before this.
 */
export const MAX_PENDING_PER_DEVICE = 10_000;

/** How long a sender's transaction ID is remembered for idempotency. */
const TXN_LIFETIME_MS = 24 * 3600_000;

export type ToDeviceMessages = Record<string, Record<string, JsonObject>>;

/**
 * Send-to-device messaging: a per-device inbox on the 'toDevice' stream. Messages reach the
 * device through sync and are deleted only when the client syncs with a later token.
 */
export class ToDevice {
  /**
   * Devices known to have nothing waiting: their syncs skip the inbox read and the acknowledgement
   * write. Cleared for a device whenever a message for it is committed.
   */
  private readonly idle = new GuardedCache<true>(100_000);

  constructor(
    private readonly k: KeysContext,
    readonly stream: DurableStream,
  ) {}

  /**
   * PUT /sendToDevice: idempotent per sender device, event type and transaction ID. Local users'
   * messages are queued; remote users' go to federation when it is plugged in, else nowhere.
   */
  async send(sender: { userId: string; deviceId: string }, eventType: string, txnId: string, messages: ToDeviceMessages): Promise<void> {
    const local: ToDeviceMessages = {};
    const remote = new Map<string, ToDeviceMessages>();
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (this.k.isLocal(userId)) local[userId] = byDevice;
      else {
        const server = serverOf(userId);
        const forServer = remote.get(server) ?? {};
        forServer[userId] = byDevice;
        remote.set(server, forServer);
      }
    }
    const rows = await this.expand(sender.userId, eventType, local);
    const reservation = await this.stream.reserve(rows.length);
    let fresh: boolean;
    try {
      fresh = await this.k.db.transaction(async (trx) => {
        if (!(await store.claimTxn(trx, sender.userId, sender.deviceId, eventType, txnId, this.k.now()))) return false;
        await store.insertMessages(trx, rows.map((r, i) => ({ ...r, streamId: reservation.ids[i]! })), MAX_PENDING_PER_DEVICE);
        return true;
      });
      // Before the positions become visible: no sync may skip these devices from now on.
      if (fresh) this.idle.invalidate(rows.map((r) => deviceKey(r.userId, r.deviceId)));
    } finally {
      reservation.done();
    }
    if (!fresh) return;
    for (const userId of new Set(rows.map((r) => r.userId))) this.k.poke(userId);
    await this.forward(sender.userId, eventType, remote);
  }

  /** Delivers messages that arrived from another server to local devices. */
  async deliver(sender: string, eventType: string, messages: ToDeviceMessages): Promise<void> {
    const local = Object.fromEntries(Object.entries(messages).filter(([u]) => this.k.isLocal(u)));
    const rows = await this.expand(sender, eventType, local);
    if (rows.length === 0) return;
    const reservation = await this.stream.reserve(rows.length);
    try {
      await this.k.db.transaction((trx) => store.insertMessages(trx, rows.map((r, i) => ({ ...r, streamId: reservation.ids[i]! })), MAX_PENDING_PER_DEVICE));
      this.idle.invalidate(rows.map((r) => deviceKey(r.userId, r.deviceId)));
    } finally {
      reservation.done();
    }
    for (const userId of new Set(rows.map((r) => r.userId))) this.k.poke(userId);
  }

  /** One row per existing target device; `*` means all of the user's devices, a named device wins over it. */
  private async expand(sender: string, eventType: string, local: ToDeviceMessages): Promise<Array<Omit<store.InboxMessage, 'streamId'>>> {
    const userIds = Object.keys(local);
    if (userIds.length === 0) return [];
    const devices = await this.k.users.getDevicesOf(userIds);
    const rows: Array<Omit<store.InboxMessage, 'streamId'>> = [];
    for (const [userId, byDevice] of Object.entries(local)) {
      const known = (devices.get(userId) ?? []).map((d) => d.deviceId);
      const targets = new Map<string, JsonObject>();
      const all = Object.hasOwn(byDevice, '*') ? byDevice['*'] : undefined;
      if (all) for (const d of known) targets.set(d, all);
      const knownSet = new Set(known);
      for (const [deviceId, content] of Object.entries(byDevice)) if (deviceId !== '*' && knownSet.has(deviceId)) targets.set(deviceId, content);
      for (const [deviceId, content] of targets) rows.push({ userId, deviceId, sender, type: eventType, content: JSON.stringify(content) });
    }
    return rows;
  }

  private async forward(sender: string, eventType: string, remote: Map<string, ToDeviceMessages>): Promise<void> {
    if (remote.size === 0) return;
    const federation = this.k.federation();
    if (!federation) {
      this.k.log.debug({ servers: [...remote.keys()] }, 'to-device messages for remote users not sent: federation is not available');
      return;
    }
    for (const [server, messages] of remote) {
      try {
        await federation.sendToDevice(server, sender, eventType, messages);
      } catch (err) {
        this.k.log.warn({ err, server }, 'queueing to-device messages for a remote server failed');
      }
    }
  }

  /** The devices are gone (their rows went with them). */
  forget(userId: string, deviceIds: readonly string[]): void {
    this.idle.invalidate(deviceIds.map((d) => deviceKey(userId, d)));
  }

  /** Forgets senders' transaction IDs older than a day (a retry comes within seconds). */
  async sweep(): Promise<void> {
    await store.deleteTxnsBefore(this.k.db, this.k.now() - TXN_LIFETIME_MS);
  }

  /** The 'toDevice' stream of sync. */
  extension(): SyncExtension {
    return {
      stream: 'toDevice',
      position: () => this.stream.current(),
      fill: async (userId, deviceId, since, to, body) => {
        if (this.idle.get(deviceKey(userId, deviceId))) return false;
        const rows = await store.messagesFor(this.k.db, userId, deviceId, since, to, TO_DEVICE_PER_SYNC + 1);
        if (rows.length === 0) return false;
        const batch = rows.slice(0, TO_DEVICE_PER_SYNC);
        if (rows.length > batch.length) {
          // The token of this response covers messages it does not hold. Remember where it
          // stopped, and move the stream so the next response gets a token of its own.
          await store.recordLimit(this.k.db, userId, deviceId, to, batch[batch.length - 1]!.streamId);
          await this.stream.bump();
          this.k.poke(userId);
        }
        body.to_device = { events: batch.map((m) => ({ sender: m.sender, type: m.type, content: JSON.parse(m.content) as JsonObject })) };
        return true;
      },
      acknowledge: async (userId, deviceId, position) => {
        const key = deviceKey(userId, deviceId);
        if (this.idle.get(key)) return;
        const generation = this.idle.mark();
        if ((await store.acknowledge(this.k.db, userId, deviceId, position)) === 0) this.idle.setIfUnchanged(key, true, generation);
      },
    };
  }
}
