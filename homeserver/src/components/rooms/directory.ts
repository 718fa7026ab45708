import { parseRoomAlias } from '../../core/ids.js';
import type { JsonObject } from '../../core/json.js';
import type { Requester } from '../../http/auth.js';
import { errors, MatrixError } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import { canEditDirectory } from './permissions.js';
import type { RoomWriter } from './pipeline/writer.js';
import type { CurrentState } from './state/current-state.js';
import type { AliasStore } from './storage/aliases.js';
import type { DirectoryStore } from './storage/directory.js';
import type { SummaryWithRoom } from './storage/summaries.js';

const MAX_PUBLIC_ROOMS = 100;

export interface PublicRoomsRequest {
  limit?: number | undefined;
  since?: string | undefined;
  searchTerm?: string | undefined;
  roomTypes?: ReadonlyArray<string | null> | undefined;
  /** A third-party network's list; we have none, so it is empty. */
  thirdPartyInstanceId?: string | undefined;
}

interface Bound {
  forwards: boolean;
  joined: number;
  roomId: string;
}

/** Directory tokens: base64url JSON of direction, joined members and room ID of the edge row. */
function formatBound(b: Bound): string {
  return Buffer.from(JSON.stringify([b.forwards ? 'f' : 'b', b.joined, b.roomId])).toString('base64url');
}

function parseBound(token: string): Bound {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && (v[0] === 'f' || v[0] === 'b') && Number.isSafeInteger(v[1]) && typeof v[2] === 'string' && !v[2].includes('\u0000')) {
      return { forwards: v[0] === 'f', joined: v[1] as number, roomId: v[2] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw errors.invalidParam('Invalid pagination token');
}

/** A published-directory entry: absent values are left out, as Synapse does. */
export function publicRoomEntry(s: SummaryWithRoom): JsonObject {
  const out: JsonObject = {
    room_id: s.room_id,
    num_joined_members: s.joined_members,
    world_readable: s.history_visibility === 'world_readable',
    guest_can_join: s.guest_access === 'can_join',
  };
  if (s.name !== null) out.name = s.name;
  if (s.topic !== null) out.topic = s.topic;
  if (s.canonical_alias !== null) out.canonical_alias = s.canonical_alias;
  if (s.avatar_url !== null) out.avatar_url = s.avatar_url;
  if (s.join_rule !== null) out.join_rule = s.join_rule;
  if (s.room_type !== null) out.room_type = s.room_type;
  return out;
}

/** Room aliases and the server's published room directory. */
export class Directory {
  constructor(
    private readonly store: DirectoryStore,
    private readonly aliases: AliasStore,
    private readonly current: CurrentState,
    private readonly writer: RoomWriter,
    private readonly serverName: string,
    private readonly log: Logger,
    private readonly settled: () => Promise<void>,
  ) {}

  /** A syntactically valid alias, or 400 M_INVALID_PARAM. */
  private parse(alias: string): { localpart: string; serverName: string } {
    const parsed = parseRoomAlias(alias);
    if (!parsed || /\s/.test(parsed.localpart)) throw errors.invalidParam('Room alias invalid');
    return parsed;
  }

  private requireLocal(alias: string): void {
    if (this.parse(alias).serverName !== this.serverName) throw errors.invalidParam('Room alias must be on this server');
  }

  /** GET /directory/room/{roomAlias} */
  /** Other servers' aliases (federation `query/directory`); set by federation's room layer. */
  remoteResolve: ((alias: string) => Promise<{ roomId: string; servers: string[] }>) | undefined;

  async resolve(alias: string, options: { remote?: boolean } = {}): Promise<JsonObject> {
    const parsed = this.parse(alias);
    if (parsed.serverName !== this.serverName && this.remoteResolve && options.remote !== false) {
      const found = await this.remoteResolve(alias);
      return { room_id: found.roomId, servers: found.servers };
    }
    // Other servers' aliases need a federation query, which comes with federation.
    const row = parsed.serverName === this.serverName ? await this.aliases.resolve(alias) : undefined;
    if (!row) throw errors.notFound(`Room alias ${alias} not found.`);
    const servers = await this.store.joinedServers(row.room_id);
    return { room_id: row.room_id, servers: [this.serverName, ...servers.filter((s) => s !== this.serverName)] };
  }

  /** PUT /directory/room/{roomAlias} */
  async create(requester: Requester, alias: string, roomId: string): Promise<void> {
    this.requireLocal(alias);
    if ((await this.store.isPublic(roomId)) === undefined) throw errors.invalidParam('Room not found');
    if (!requester.isAdmin && (await this.current.membership(roomId, requester.userId)) !== 'join') {
      throw errors.forbidden('You must be in the room to create an alias for it');
    }
    if (!(await this.aliases.create(alias, roomId, requester.userId))) {
      throw new MatrixError(409, 'M_UNKNOWN', `Room alias ${alias} already exists.`);
    }
  }

  /** DELETE /directory/room/{roomAlias}: the alias's creator, a room moderator or a server admin. */
  async delete(requester: Requester, alias: string): Promise<void> {
    this.requireLocal(alias);
    const row = await this.aliases.resolve(alias);
    if (!row) throw errors.notFound(`Room alias ${alias} not found.`);
    if (row.creator !== requester.userId && !(await canEditDirectory(this.current, row.room_id, requester))) {
      throw errors.forbidden("You don't have permission to delete the alias.");
    }
    if (!(await this.aliases.delete(alias))) throw errors.notFound(`Room alias ${alias} not found.`);
    await this.dropFromCanonicalAlias(requester, row.room_id, alias);
  }

  /**
   * The spec lets the server drop a deleted alias from `m.room.canonical_alias`; a requester
   * without the power to do so still gets the alias deleted, as the spec recommends.
   */
  private async dropFromCanonicalAlias(requester: Requester, roomId: string, alias: string): Promise<void> {
    const event = await this.current.event(roomId, 'm.room.canonical_alias', '');
    if (!event) return;
    const content: JsonObject = { ...event.pdu.content };
    let changed = false;
    if (content.alias === alias) {
      delete content.alias;
      changed = true;
    }
    const alt = content.alt_aliases;
    if (Array.isArray(alt) && alt.includes(alias)) {
      const rest = alt.filter((a) => a !== alias);
      if (rest.length > 0) content.alt_aliases = rest;
      else delete content.alt_aliases;
      changed = true;
    }
    if (!changed) return;
    try {
      await this.writer.append(roomId, [{ type: 'm.room.canonical_alias', state_key: '', sender: requester.userId, content }]);
    } catch (err) {
      this.log.info({ err, roomId, alias }, 'could not update the canonical alias after deleting an alias');
    }
  }

  /** GET /rooms/{roomId}/aliases: members, anyone when world-readable, and server admins. */
  async localAliases(requester: Requester, roomId: string): Promise<string[]> {
    if (!requester.isAdmin) {
      const joined = (await this.current.membership(roomId, requester.userId)) === 'join';
      const vis = (await this.current.event(roomId, 'm.room.history_visibility', ''))?.pdu.content.history_visibility;
      if (!joined && vis !== 'world_readable') throw errors.forbidden('You are not a member of the room.');
    }
    return this.aliases.forRoom(roomId);
  }

  /** GET /directory/list/room/{roomId} */
  async visibility(roomId: string): Promise<'public' | 'private'> {
    const isPublic = await this.store.isPublic(roomId);
    if (isPublic === undefined) throw errors.notFound('Room not found');
    return isPublic ? 'public' : 'private';
  }

  /** PUT /directory/list/room/{roomId} */
  async setVisibility(requester: Requester, roomId: string, visibility: 'public' | 'private'): Promise<void> {
    if ((await this.store.isPublic(roomId)) === undefined) throw errors.notFound('Room not found');
    if (!(await canEditDirectory(this.current, roomId, requester))) {
      throw errors.forbidden('You need to be a moderator in the room to edit its room directory entry');
    }
    await this.store.setPublic(roomId, visibility === 'public');
  }

  /**
   * GET|POST /publicRooms: largest rooms first, room ID breaking ties. Tokens carry the edge row
   * and a direction, so pages stay stable while rooms are added or removed elsewhere in the list.
   */
  async publicRooms(req: PublicRoomsRequest): Promise<JsonObject> {
    if (req.thirdPartyInstanceId !== undefined) return { chunk: [], total_room_count_estimate: 0 };
    await this.settled();
    const total = await this.store.countPublicRooms();
    const limit = Math.min(req.limit ?? MAX_PUBLIC_ROOMS, MAX_PUBLIC_ROOMS);
    const bound = req.since !== undefined ? parseBound(req.since) : undefined;
    const forwards = bound?.forwards ?? true;
    const rows = await this.store.publicRooms({ searchTerm: req.searchTerm, roomTypes: req.roomTypes, bound, forwards, limit: limit + 1 });
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    if (!forwards) page.reverse();
    const first = page[0];
    const last = page[page.length - 1];
    const edge = (r: SummaryWithRoom, f: boolean): string => formatBound({ forwards: f, joined: r.joined_members, roomId: r.room_id });
    const out: JsonObject = { chunk: page.map(publicRoomEntry), total_room_count_estimate: total };
    if (forwards) {
      if (bound) out.prev_batch = first ? edge(first, false) : formatBound({ forwards: false, joined: 0, roomId: '' });
      if (more && last) out.next_batch = edge(last, true);
    } else {
      if (last) out.next_batch = edge(last, true);
      if (more && first) out.prev_batch = edge(first, false);
    }
    return out;
  }
}
