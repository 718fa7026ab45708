/**
 * One table of what differs between room versions. Rooms can be created and joined only in the
 * `supported` versions (10, 11, 12); older versions are described so that hashes, event IDs and
 * redactions of their events can still be computed (test vectors, upgrades from old rooms).
 */
export type EventIdFormat = 'explicit' | 'base64' | 'urlsafe-base64';
/** Named after the first room version that used the rule set. */
export type RedactionRules = 'v1' | 'v6' | 'v8' | 'v9' | 'v11';
export type StateResAlgorithm = 'v1' | 'v2' | 'v2.1';

export interface RoomVersion {
  readonly id: string;
  /** Whether this server creates and joins rooms of this version. */
  readonly supported: boolean;
  readonly stability: 'stable' | 'unstable';
  readonly eventIdFormat: EventIdFormat;
  readonly redaction: RedactionRules;
  readonly stateRes: StateResAlgorithm;
  /** v6+: integers outside ±(2^53−1) and floats make an event invalid. */
  readonly strictCanonicalJson: boolean;
  /** v7+: `knock` membership. */
  readonly knocking: boolean;
  /** v8+: `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v10+: power-level values must be integers, not strings holding integers. */
  readonly integerPowerLevels: boolean;
  /** v11+: `creator` dropped from the create event, the sender is the creator. */
  readonly implicitCreator: boolean;
  /** v11+: `redacts` lives in `content`, not at the top level. */
  readonly redactsInContent: boolean;
  /** v12: the room ID is `!` + the create event's reference hash; the create event has no room_id. */
  readonly roomIdFromCreateEvent: boolean;
  /** v12: the create event is implied by the room ID and never listed in `auth_events`. */
  readonly createEventInAuthEvents: boolean;
  /** v12: the creator and `additional_creators` rank above every power level. */
  readonly privilegedCreators: boolean;
  /** v1–v5 do not enforce the signing key's validity period. */
  readonly enforceKeyValidity: boolean;
  /** v1–v10 keep the `m.room.aliases` special case in auth rules only for v1–v5. */
  readonly specialCaseAliasesAuth: boolean;
  /** v1–v2 allow `notifications` key in power levels to be a string; v10 is strict about ints. */
  readonly limitNotificationsPowerLevels: boolean;
}

const base = {
  supported: false,
  stability: 'stable',
  stateRes: 'v2',
  strictCanonicalJson: false,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  integerPowerLevels: false,
  implicitCreator: false,
  redactsInContent: false,
  roomIdFromCreateEvent: false,
  createEventInAuthEvents: true,
  privilegedCreators: false,
  enforceKeyValidity: true,
  specialCaseAliasesAuth: false,
  limitNotificationsPowerLevels: true,
} as const;

function define(v: Omit<RoomVersion, keyof typeof base> & Partial<RoomVersion>): RoomVersion {
  return Object.freeze({ ...base, ...v });
}

const v1 = define({ id: '1', eventIdFormat: 'explicit', redaction: 'v1', stateRes: 'v1', enforceKeyValidity: false, specialCaseAliasesAuth: true, limitNotificationsPowerLevels: false });
const v2 = define({ ...v1, id: '2', stateRes: 'v2' });
const v3 = define({ ...v2, id: '3', eventIdFormat: 'base64' });
const v4 = define({ ...v3, id: '4', eventIdFormat: 'urlsafe-base64' });
const v5 = define({ ...v4, id: '5', enforceKeyValidity: true });
const v6 = define({ ...v5, id: '6', redaction: 'v6', strictCanonicalJson: true, specialCaseAliasesAuth: false, limitNotificationsPowerLevels: true });
const v7 = define({ ...v6, id: '7', knocking: true });
const v8 = define({ ...v7, id: '8', redaction: 'v8', restrictedJoins: true });
const v9 = define({ ...v8, id: '9', redaction: 'v9' });
const v10 = define({ ...v9, id: '10', supported: true, knockRestricted: true, integerPowerLevels: true });
const v11 = define({ ...v10, id: '11', redaction: 'v11', implicitCreator: true, redactsInContent: true });
const v12 = define({
  ...v11,
  id: '12',
  stateRes: 'v2.1',
  roomIdFromCreateEvent: true,
  createEventInAuthEvents: false,
  privilegedCreators: true,
});

const table: ReadonlyMap<string, RoomVersion> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((v) => [v.id, v]),
);

export const DEFAULT_ROOM_VERSION = '11';

/** The rules of a room version, or undefined when this server does not know it. */
export function roomVersion(id: string): RoomVersion | undefined {
  return table.get(id);
}

/** The versions offered to clients (`/capabilities`) and accepted for new rooms and joins. */
export function supportedRoomVersions(): RoomVersion[] {
  return [...table.values()].filter((v) => v.supported);
}
