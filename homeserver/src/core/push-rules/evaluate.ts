import { isJsonObject, type JsonObject } from '../json.js';
import { compiledRuleset, compileGlob, compileMemberCount, splitPath, valueAtParts } from './compile.js';
import type { PushAction, PushRuleKind, PushRuleset } from './defaults.js';

/** An event as push rules see it: `type`, `sender`, `room_id`, `state_key`, `content`, … */
export type PushEvent = Readonly<Record<string, unknown>>;

/** What the conditions that look beyond the event need to know of the room and the user. */
export interface PushContext {
  /** Whose rules these are: their own events never notify them. */
  userId: string;
  /** The user's display name in the room (`contains_display_name`); undefined when unset. */
  displayName: string | undefined;
  /** Joined members of the room (`room_member_count`). */
  memberCount: number;
  /** A user's power level in the room (`sender_notification_permission`). */
  powerLevel(userId: string): number;
  /** The level `notifications[key]` of the room's power levels asks for (see `notificationLevel`). */
  notificationLevel(key: string): number;
}

export interface PushOutcome {
  notify: boolean;
  highlight: boolean;
  /** The `sound` tweak, when set. */
  sound: string | undefined;
  /** The matching rule's actions without the historical `dont_notify` and `coalesce`; [] when no rule matched. */
  actions: PushAction[];
  /** The rule that decided, if any. */
  ruleId: string | undefined;
  kind: PushRuleKind | undefined;
}

const NOTHING: PushOutcome = Object.freeze({ notify: false, highlight: false, sound: undefined, actions: [], ruleId: undefined, kind: undefined });

/** Actions the spec retired; they mean nothing and are ignored wherever met. */
const HISTORICAL_ACTIONS = new Set(['dont_notify', 'coalesce']);

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export { splitPath, containsWords } from './compile.js';

/** The value at a dotted path through nested objects, or undefined when any step is missing. */
export function valueAtPath(event: PushEvent, path: string): unknown {
  return valueAtParts(event, splitPath(path));
}

/**
 * Glob matching (appendix "Glob-style matching": `*` any run of characters, `?` exactly one),
 * case-insensitive; with `words`, any substring between word boundaries matches, as
 * `content.body` is matched. Rules compile their patterns once (compile.ts); this is for one-offs.
 */
export function globMatches(pattern: string, value: string, words = false): boolean {
  return compileGlob(pattern)(value, words);
}

/** `room_member_count`'s `is`: a decimal integer, optionally after `==`, `<`, `>`, `<=` or `>=`. */
export function memberCountMatches(is: string, count: number): boolean {
  return compileMemberCount(is)?.(count) ?? false;
}

/** What a list of actions means for a notification. */
export function outcomeOf(actions: readonly PushAction[], ruleId?: string, kind?: PushRuleKind): PushOutcome {
  const kept = actions.filter((a) => !(typeof a === 'string' && HISTORICAL_ACTIONS.has(a)));
  let highlight = false;
  let sound: string | undefined;
  for (const a of kept) {
    if (typeof a !== 'object' || a === null) continue;
    if (a.set_tweak === 'highlight') highlight = a.value === undefined || a.value === true;
    else if (a.set_tweak === 'sound') sound = typeof a.value === 'string' ? a.value : undefined;
  }
  return { notify: kept.includes('notify'), highlight, sound, actions: kept, ruleId, kind };
}

/**
 * Evaluates a user's ruleset against an event: the first enabled rule that matches, in kind
 * order (override, content, room, sender, underride) and then in list order, decides. No match,
 * or an event the user sent, means no notification. Pure: everything it reads is passed in. The
 * ruleset is compiled on first use and remembered (compile.ts): it must not be changed after.
 */
export function evaluatePushRules(rules: Readonly<Partial<PushRuleset>>, event: PushEvent, ctx: PushContext): PushOutcome {
  if (event.sender === ctx.userId) return NOTHING;
  const content = event.content;
  const hasMentions = isJsonObject(content) && hasOwn(content, 'm.mentions');
  const list = compiledRuleset(rules, outcomeOf);
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!;
    // The deprecated body-matching rules only stand in for m.mentions where a sender has none.
    if (hasMentions && rule.legacy) continue;
    if (rule.test(event, ctx)) return rule.outcome;
  }
  return NOTHING;
}

const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;

/**
 * The power level `notifications[key]` of an `m.room.power_levels` content asks for: 50 when the
 * key (or the whole event) is absent, as the spec's defaults say. Older room versions allowed
 * integers written as strings.
 */
export function notificationLevel(powerLevels: JsonObject | undefined, key: string): number {
  const notifications = powerLevels?.notifications;
  const value = isJsonObject(notifications) && hasOwn(notifications, key) ? notifications[key] : undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && INTEGER_STRING.test(value)) return Number.parseInt(value, 10);
  return 50;
}
