import type { JsonObject } from '../json.js';

/** The kinds of push rule, in the order they are evaluated. */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export function isPushRuleKind(value: string): value is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(value);
}

/** A condition as written in a rule; unknown kinds are kept (and never match). */
export type PushCondition = JsonObject & { kind: string };
/** `"notify"` (or a historical string action) or `{ set_tweak, value? }`. */
export type PushAction = string | JsonObject;

/** A rule as clients see it in a ruleset. */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  /** override and underride rules. */
  conditions?: PushCondition[];
  /** content rules. */
  pattern?: string;
  actions: PushAction[];
}

export type PushRuleset = Record<PushRuleKind, PushRule[]>;

/**
 * The rules the spec deprecated in v1.7 and dropped in v1.17 (body matches on the user's name).
 * Clients that predate `m.mentions` still rely on them, so they stay, but only ever apply to
 * events without an `m.mentions` property, as v1.7 required.
 */
export const LEGACY_MENTION_RULES: ReadonlySet<string> = new Set(['.m.rule.contains_display_name', '.m.rule.roomnotif', '.m.rule.contains_user_name']);

/** The rule that, when enabled, silences everything: it outranks even the user's own rules. */
export const MASTER_RULE = '.m.rule.master';

const match = (key: string, pattern: string): PushCondition => ({ kind: 'event_match', key, pattern });
const sound = (value: string): PushAction => ({ set_tweak: 'sound', value });
const highlight: PushAction = { set_tweak: 'highlight' };
const rule = (rule_id: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule => ({ rule_id, default: true, enabled, conditions, actions });

function localpart(userId: string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon < 0 ? undefined : colon);
}

/**
 * The server-default push rules of the spec ("Predefined Rules"), in priority order, for one
 * user (some name the user). A fresh copy on every call: callers may change it.
 */
export function defaultPushRules(userId: string): PushRuleset {
  return {
    override: [
      rule(MASTER_RULE, [], [], false),
      rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], []),
      rule('.m.rule.invite_for_me', [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)], ['notify', sound('default')]),
      rule('.m.rule.member_event', [match('type', 'm.room.member')], []),
      rule('.m.rule.is_user_mention', [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }], ['notify', sound('default'), highlight]),
      rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], ['notify', sound('default'), highlight]),
      rule(
        '.m.rule.is_room_mention',
        [
          { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
          { kind: 'sender_notification_permission', key: 'room' },
        ],
        ['notify', highlight],
      ),
      rule('.m.rule.roomnotif', [match('content.body', '@room'), { kind: 'sender_notification_permission', key: 'room' }], ['notify', highlight]),
      rule('.m.rule.tombstone', [match('type', 'm.room.tombstone'), match('state_key', '')], ['notify', highlight]),
      rule('.m.rule.reaction', [match('type', 'm.reaction')], []),
      rule('.m.rule.room.server_acl', [match('type', 'm.room.server_acl'), match('state_key', '')], []),
      rule('.m.rule.suppress_edits', [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], []),
    ],
    content: [{ rule_id: '.m.rule.contains_user_name', default: true, enabled: true, pattern: localpart(userId), actions: ['notify', sound('default'), highlight] }],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [match('type', 'm.call.invite')], ['notify', sound('ring')]),
      rule('.m.rule.encrypted_room_one_to_one', [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted')], ['notify', sound('default')]),
      rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.message')], ['notify', sound('default')]),
      rule('.m.rule.message', [match('type', 'm.room.message')], ['notify']),
      rule('.m.rule.encrypted', [match('type', 'm.room.encrypted')], ['notify']),
    ],
  };
}
