import type { JsonObject, JsonValue } from './json.js';
import { isJsonObject } from './json.js';
import type { RedactionRules, RoomVersion } from './room-versions.js';

/**
 * The redaction algorithm of each rule set (spec: rooms/v1, v6, v8, v9, v11 "Redactions"). It
 * decides what survives a redaction, and also what event signatures and reference hashes (event
 * IDs) cover, so a single differing key splits the federation.
 */

type EventLike = { readonly [key: string]: unknown };

const TOP_LEVEL_V1: ReadonlySet<string> = new Set([
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'prev_state',
  'auth_events',
  'origin',
  'origin_server_ts',
  'membership',
]);

// v11 stops protecting top-level origin, membership and prev_state.
const TOP_LEVEL_V11: ReadonlySet<string> = new Set(
  [...TOP_LEVEL_V1].filter((k) => k !== 'origin' && k !== 'membership' && k !== 'prev_state'),
);

const POWER_LEVELS_V1 = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

/** Content keys kept per event type; `'all'` keeps the whole content. */
type ContentRules = Readonly<Record<string, readonly string[] | 'all'>>;

// v6 dropped m.room.aliases from v1's list; the rest is common to both.
const CONTENT_V6: ContentRules = {
  'm.room.member': ['membership'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule'],
  'm.room.power_levels': POWER_LEVELS_V1,
  'm.room.history_visibility': ['history_visibility'],
};

const CONTENT_V1: ContentRules = { ...CONTENT_V6, 'm.room.aliases': ['aliases'] };

// v8: restricted joins need `allow` to survive.
const CONTENT_V8: ContentRules = { ...CONTENT_V6, 'm.room.join_rules': ['join_rule', 'allow'] };

// v9: the authorising user of a restricted join survives too.
const CONTENT_V9: ContentRules = { ...CONTENT_V8, 'm.room.member': ['membership', 'join_authorised_via_users_server'] };

// v11: create keeps all content, power levels keep invite, redactions keep redacts. Member events
// also keep `third_party_invite.signed`, handled separately below.
const CONTENT_V11: ContentRules = {
  ...CONTENT_V9,
  'm.room.create': 'all',
  'm.room.power_levels': [...POWER_LEVELS_V1, 'invite'],
  'm.room.redaction': ['redacts'],
};

interface RuleSet {
  readonly topLevel: ReadonlySet<string>;
  readonly content: ContentRules;
  readonly keepThirdPartyInviteSigned: boolean;
}

const RULE_SETS: Readonly<Record<RedactionRules, RuleSet>> = {
  v1: { topLevel: TOP_LEVEL_V1, content: CONTENT_V1, keepThirdPartyInviteSigned: false },
  v6: { topLevel: TOP_LEVEL_V1, content: CONTENT_V6, keepThirdPartyInviteSigned: false },
  v8: { topLevel: TOP_LEVEL_V1, content: CONTENT_V8, keepThirdPartyInviteSigned: false },
  v9: { topLevel: TOP_LEVEL_V1, content: CONTENT_V9, keepThirdPartyInviteSigned: false },
  v11: { topLevel: TOP_LEVEL_V11, content: CONTENT_V11, keepThirdPartyInviteSigned: true },
};

function redactContent(type: unknown, content: unknown, rules: RuleSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof type !== 'string' || !isJsonObject(content) || !Object.hasOwn(rules.content, type)) return out;
  const keep = rules.content[type]!;
  if (keep === 'all') return { ...content };
  for (const k of keep) {
    if (Object.hasOwn(content, k)) out[k] = content[k];
  }
  if (rules.keepThirdPartyInviteSigned && type === 'm.room.member') {
    // "Allows the signed key of the third_party_invite key": third_party_invite stays, holding
    // only `signed` when there is one. This is also how other servers hash such events.
    const invite = Object.hasOwn(content, 'third_party_invite') ? content['third_party_invite'] : undefined;
    if (isJsonObject(invite)) {
      out['third_party_invite'] = Object.hasOwn(invite, 'signed') ? { signed: invite['signed'] } : {};
    }
  }
  return out;
}

/**
 * The redacted form with nested values shared with `event`, for hashing and signing where nothing
 * is modified. `content` is always present in the result (`{}` at least), as in every redacted
 * event other servers produce.
 */
export function redactShallow(event: EventLike, rv: RoomVersion): Record<string, unknown> {
  const rules = RULE_SETS[rv.redaction];
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(event)) {
    if (rules.topLevel.has(k) && k !== 'content') out[k] = event[k];
  }
  out['content'] = redactContent(event['type'], event['content'], rules);
  return out;
}

function cloneJson(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (typeof value === 'object' && value !== null) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      // JSON.parse makes `__proto__` an ordinary key; plain assignment would set the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: cloneJson(v), enumerable: true, writable: true, configurable: true });
      else out[k] = cloneJson(v);
    }
    return out;
  }
  return value as JsonValue;
}

/** The redacted copy of `event` under the room version's rules; shares nothing with `event`. */
export function redact(event: EventLike, rv: RoomVersion): JsonObject {
  return cloneJson(redactShallow(event, rv)) as JsonObject;
}
