import type { Knex } from 'knex';
import { roomCreators } from '../../core/auth/index.js';
import { splitStateKey, stateKey } from '../../core/events.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { roomVersion, type RoomVersion } from '../../core/room-versions.js';
import type { Requester } from '../../http/auth.js';
import { errors, MatrixError } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import type { ProfileSource } from './membership.js';
import { roomPower } from './permissions.js';
import type { EventTemplate } from './pipeline/build.js';
import type { RoomWriter } from './pipeline/writer.js';
import type { CurrentState } from './state/current-state.js';
import type { DirectoryStore } from './storage/directory.js';
import { toRoomEvent, type EventStore, type StoredEvent } from './storage/events.js';

/** The state the spec recommends carrying over, in the order it is set in the new room. */
const COPIED_TYPES = [
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.encryption',
  'm.room.server_acl',
] as const;

export interface UpgradeDeps {
  db: Knex;
  writer: RoomWriter;
  current: CurrentState;
  events: EventStore;
  directory: DirectoryStore;
  profiles: ProfileSource;
  serverName: string;
  log: Logger;
}

const level = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const serverOf = (id: string): string => id.slice(id.indexOf(':') + 1);

/**
 * POST /rooms/{roomId}/upgrade ("Room Upgrades", server behaviour): a new room with the old one
 * as `predecessor` and its transferable state, then the tombstone in the old room, the local
 * aliases and the directory entry moved, and the old room's power levels closed to talk.
 */
export class RoomUpgrader {
  private readonly inProgress = new Set<string>();

  constructor(private readonly deps: UpgradeDeps) {}

  async upgrade(requester: Requester, roomId: string, newVersion: string, additionalCreators: string[] | undefined): Promise<string> {
    const rv = roomVersion(newVersion);
    if (!rv?.supported) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${newVersion} is not supported by this server`);
    const { current } = this.deps;
    const oldInfo = await current.info(roomId);
    if (!oldInfo) throw errors.notFound(`Unknown room ${roomId}`);
    const power = await roomPower(current, roomId);
    const joined = (await current.membership(roomId, requester.userId)) === 'join';
    if (!power || !joined || power.userLevel(requester.userId) < power.required('m.room.tombstone', true)) {
      throw errors.forbidden('You cannot upgrade this room');
    }
    // Two upgrades at once would make two replacement rooms and two tombstones.
    if (this.inProgress.has(roomId)) throw errors.badState('An upgrade for this room is currently in progress');
    this.inProgress.add(roomId);
    try {
      return await this.run(requester, roomId, oldInfo.version, rv, additionalCreators);
    } finally {
      this.inProgress.delete(roomId);
    }
  }

  private async run(requester: Requester, oldRoomId: string, oldRv: RoomVersion, rv: RoomVersion, additional: string[] | undefined): Promise<string> {
    const { current, events, writer, directory } = this.deps;
    const info = (await current.info(oldRoomId))!;
    const wanted = ['m.room.create', 'm.room.power_levels', 'm.room.canonical_alias', ...COPIED_TYPES].map((t) => info.state.get(stateKey(t, '')));
    const bans = (await this.deps.db('room_memberships').select('event_id').where({ room_id: oldRoomId, membership: 'ban' })) as Array<{ event_id: string }>;
    const oldCreate = (await current.event(oldRoomId, 'm.room.create', ''))!;
    const isSpace = oldCreate.pdu.content.type === 'm.space';
    const spaceChildren = isSpace ? [...info.state].filter(([k]) => splitStateKey(k)[0] === 'm.space.child').map(([, id]) => id) : [];
    const loaded = await events.getMany([
      ...wanted.filter((id): id is string => id !== undefined),
      ...bans.map((b) => b.event_id),
      ...spaceChildren,
      ...info.extremities,
    ]);
    const contentOf = (type: string): JsonObject | undefined => {
      const id = info.state.get(stateKey(type, ''));
      return id ? loaded.get(id)?.pdu.content : undefined;
    };
    const creators = rv.privilegedCreators ? [...new Set([requester.userId, ...(additional ?? [])])] : [requester.userId];
    const { initial, final } = this.powerLevels(requester.userId, oldCreate, oldRv, rv, contentOf('m.room.power_levels'), creators);
    const latest = info.extremities
      .map((id) => loaded.get(id))
      .filter((e): e is StoredEvent => e !== undefined)
      .sort((a, b) => b.depth - a.depth || b.streamOrdering - a.streamOrdering)[0];

    const createContent: JsonObject = { room_version: rv.id };
    // From v12 the room ID hashes the create event, so naming an old event is optional (v1.16).
    createContent.predecessor = rv.roomIdFromCreateEvent || !latest ? { room_id: oldRoomId } : { room_id: oldRoomId, event_id: latest.eventId };
    if (!rv.implicitCreator) createContent.creator = requester.userId;
    if (oldCreate.pdu.content['m.federate'] === false) createContent['m.federate'] = false;
    if (typeof oldCreate.pdu.content.type === 'string') createContent.type = oldCreate.pdu.content.type;
    const extraCreators = creators.filter((c) => c !== requester.userId);
    if (rv.privilegedCreators && extraCreators.length > 0) createContent.additional_creators = extraCreators;

    const profile = (await this.deps.profiles.getProfile(requester.userId)) ?? {};
    const member: JsonObject = { membership: 'join' };
    if (profile.displayname !== undefined) member.displayname = profile.displayname;
    if (profile.avatar_url !== undefined) member.avatar_url = profile.avatar_url;

    const sender = requester.userId;
    const state = (type: string, content: JsonObject, key = ''): EventTemplate => ({ type, state_key: key, sender, content });
    const templates: EventTemplate[] = [state('m.room.create', createContent), state('m.room.member', member, sender), state('m.room.power_levels', initial)];
    for (const type of COPIED_TYPES) {
      const c = contentOf(type);
      if (c) templates.push(state(type, { ...c }));
    }
    const alias = this.splitCanonicalAlias(contentOf('m.room.canonical_alias'));
    if (alias && Object.keys(alias.moved).length > 0) templates.push(state('m.room.canonical_alias', alias.moved));
    for (const id of spaceChildren) {
      const child = loaded.get(id);
      // An emptied m.space.child means the room was removed from the space.
      if (child && Object.keys(child.pdu.content).length > 0) templates.push(state('m.space.child', { ...child.pdu.content }, child.pdu.state_key));
    }
    const senderLevel = this.levelIn(initial, sender, rv, creators);
    for (const { event_id } of bans) {
      const ban = loaded.get(event_id);
      const target = ban?.pdu.state_key;
      // A ban must come from someone above the target; creators and peers are left out rather than failing the upgrade.
      if (!ban || target === undefined || target === sender || this.levelIn(initial, target, rv, creators) >= senderLevel) continue;
      templates.push(state('m.room.member', { ...ban.pdu.content, membership: 'ban' }, target));
    }
    if (JSON.stringify(initial) !== JSON.stringify(final)) templates.push(state('m.room.power_levels', final));

    const { roomId: newRoomId } = await writer.createRoom(rv, templates, requester.userId);
    await writer.append(oldRoomId, [state('m.room.tombstone', { body: 'This room has been replaced', replacement_room: newRoomId })]);

    await directory.moveAliases(oldRoomId, newRoomId);
    if (await directory.isPublic(oldRoomId)) {
      await directory.setPublic(newRoomId, true);
      await directory.setPublic(oldRoomId, false);
    }
    if (alias?.changed) await this.tryAppend(oldRoomId, state('m.room.canonical_alias', alias.remaining), 'canonical alias');
    const restricted = this.restrictedPowerLevels(contentOf('m.room.power_levels'));
    if (restricted) await this.tryAppend(oldRoomId, state('m.room.power_levels', restricted), 'power levels');
    return newRoomId;
  }

  /** After the tombstone, failing to tidy the old room must not fail an upgrade that happened. */
  private async tryAppend(roomId: string, template: EventTemplate, what: string): Promise<void> {
    try {
      await this.deps.writer.append(roomId, [template]);
    } catch (err) {
      this.deps.log.warn({ err, roomId }, `could not update the ${what} of an upgraded room`);
    }
  }

  private levelIn(pl: JsonObject, userId: string, rv: RoomVersion, creators: string[]): number {
    if (rv.privilegedCreators && creators.includes(userId)) return Infinity;
    const users = isJsonObject(pl.users) ? pl.users : {};
    return level(users[userId]) ?? level(pl.users_default) ?? 0;
  }

  /**
   * The new room's power levels: `final` is the old content carried over, `initial` lifts the
   * upgrading user high enough to set every copied event first (Synapse does the same), and is
   * lowered to `final` at the end. v12 keeps creators out of `users` and the tombstone level
   * above `state_default`; going back from v12, the old creators keep the top level they had.
   */
  private powerLevels(
    userId: string,
    oldCreate: StoredEvent,
    oldRv: RoomVersion,
    rv: RoomVersion,
    old: JsonObject | undefined,
    creators: string[],
  ): { initial: JsonObject; final: JsonObject } {
    const final = structuredClone(old ?? {}) as JsonObject;
    const users: JsonObject = isJsonObject(final.users) ? final.users : {};
    if (rv.privilegedCreators) {
      for (const c of creators) delete users[c];
      const events: JsonObject = isJsonObject(final.events) ? final.events : {};
      const stateDefault = level(final.state_default) ?? 50;
      const tombstone = level(events['m.room.tombstone']);
      if (tombstone === undefined || tombstone <= stateDefault) events['m.room.tombstone'] = Math.max(150, stateDefault + 1);
      final.events = events;
    } else if (oldRv.privilegedCreators) {
      for (const c of roomCreators(toRoomEvent(oldCreate), oldRv)) users[c] ??= 100;
    } else if (!old) {
      users[userId] = 100;
    }
    final.users = users;
    if (rv.privilegedCreators) return { initial: final, final };

    const events = isJsonObject(final.events) ? Object.values(final.events).map(level) : [];
    const needed = Math.max(level(final.state_default) ?? 50, level(final.ban) ?? 50, ...events.map((l) => l ?? 0));
    const mine = level(users[userId]) ?? level(final.users_default) ?? 0;
    if (mine >= needed) return { initial: final, final };
    const initial = structuredClone(final);
    (initial.users as JsonObject)[userId] = needed;
    return { initial, final };
  }

  /** The spec's step 6: events and invites need more than `users_default` in the old room. */
  private restrictedPowerLevels(old: JsonObject | undefined): JsonObject | undefined {
    if (!old) return undefined;
    const next = structuredClone(old);
    const restricted = Math.max((level(old.users_default) ?? 0) + 1, 50);
    let changed = false;
    for (const key of ['events_default', 'invite'] as const) {
      if ((level(old[key]) ?? 0) < restricted) {
        next[key] = restricted;
        changed = true;
      }
    }
    return changed ? next : undefined;
  }

  /** Local aliases move with the room; the old room's canonical alias keeps only the others. */
  private splitCanonicalAlias(content: JsonObject | undefined): { moved: JsonObject; remaining: JsonObject; changed: boolean } | undefined {
    if (!content) return undefined;
    const local = (a: unknown): a is string => typeof a === 'string' && serverOf(a) === this.deps.serverName;
    const moved: JsonObject = {};
    const remaining: JsonObject = { ...content };
    let changed = false;
    if (local(content.alias)) {
      moved.alias = content.alias;
      delete remaining.alias;
      changed = true;
    }
    if (Array.isArray(content.alt_aliases)) {
      const alts = content.alt_aliases.filter(local);
      if (alts.length > 0) {
        moved.alt_aliases = alts;
        const rest = content.alt_aliases.filter((a) => !local(a));
        if (rest.length > 0) remaining.alt_aliases = rest;
        else delete remaining.alt_aliases;
        changed = true;
      }
    }
    return { moved, remaining, changed };
  }
}
