import type { JsonObject } from '../../core/json.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import type { KeysContext } from './context.js';
import { queryLocalKeys } from './queries.js';
import { takeDeviceListIds } from './storage/device-list-versions.js';

/** What changed of a local user's keys, as other servers must learn it. */
export interface LocalKeyUpdate {
  userId: string;
  /** Devices whose identity keys changed (or gained a signature), or which were deleted. */
  devices?: { ids: readonly string[]; deleted: boolean } | undefined;
  /** The master or self-signing key changed, or gained a signature. */
  signingKeys?: boolean | undefined;
}

type Edu = { edu_type: string; content: JsonObject };

/**
 * Tells the servers sharing a room with a local user about changes to the user's devices
 * (`m.device_list_update`) and cross-signing keys (`m.signing_key_update`), as server-server
 * "Device Management" and "End-to-End Encryption" describe. One user's updates are numbered and
 * queued one at a time, so each destination gets them in stream_id order with an unbroken
 * prev_id chain.
 */
export class KeyUpdates {
  private readonly perUser = new KeyedQueue();

  constructor(private readonly k: KeysContext) {}

  /**
   * Resolves once the updates are in the durable outbound queue, so that a change acknowledged to
   * the client reaches other servers even if the process dies next. Never rejects: the change is
   * committed, and a failure here must not undo it.
   */
  async publish(update: LocalKeyUpdate): Promise<void> {
    if (!this.k.federation() || !this.k.isLocal(update.userId)) return;
    await this.perUser
      .run(update.userId, () => this.send(update))
      .catch((err: unknown) => this.k.log.warn({ err, userId: update.userId }, 'sending key updates to other servers failed'));
  }

  /** Resolves once every update published so far is queued (shutdown). */
  idle(): Promise<void> {
    return this.perUser.drain();
  }

  private async send(update: LocalKeyUpdate): Promise<void> {
    const federation = this.k.federation();
    if (!federation) return;
    const { userId } = update;
    const deviceIds = update.devices ? [...new Set(update.devices.ids)] : [];
    // The version moves even when no server listens now: /user/devices answers it to those that come later.
    const first = deviceIds.length > 0 ? (await takeDeviceListIds(this.k.db, userId, deviceIds.length)).first : 0;
    const destinations = (await this.k.rooms.serversSharingRoomsWith(userId)).filter((s) => s !== this.k.serverName);
    if (destinations.length === 0) return;
    const wanted: Record<string, string[]> = { [userId]: update.devices?.deleted ? [] : deviceIds };
    const current = update.signingKeys || (deviceIds.length > 0 && !update.devices!.deleted) ? await queryLocalKeys(this.k, undefined, wanted) : undefined;
    const edus: Edu[] = [];
    if (deviceIds.length > 0) {
      deviceIds.forEach((deviceId, i) => {
        const streamId = first + i;
        // Sent one after another, so each update names exactly the one before (none for the first).
        const prev = streamId - 1;
        const content: JsonObject = { user_id: userId, device_id: deviceId, stream_id: streamId, prev_id: prev > 0 ? [prev] : [] };
        const keys = update.devices!.deleted ? undefined : current?.device_keys[userId]?.[deviceId];
        if (keys) {
          const { unsigned, ...signed } = keys;
          const name = (unsigned as { device_display_name?: unknown } | undefined)?.device_display_name;
          if (typeof name === 'string') content.device_display_name = name;
          content.keys = signed;
          content.deleted = false;
        } else {
          // Gone, or never had keys: either way no longer a device others can encrypt for.
          content.deleted = true;
        }
        edus.push({ edu_type: 'm.device_list_update', content });
      });
    }
    if (update.signingKeys && current) {
      const content: JsonObject = { user_id: userId };
      const master = current.master_keys[userId];
      const selfSigning = current.self_signing_keys[userId];
      if (master) content.master_key = master;
      if (selfSigning) content.self_signing_key = selfSigning;
      edus.push({ edu_type: 'm.signing_key_update', content });
    }
    if (edus.length > 0) await federation.sendKeyUpdates(edus, destinations);
  }
}
