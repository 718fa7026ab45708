import { isJsonObject, type JsonObject } from '../json.js';
import { LEGACY_MENTION_RULES, PUSH_RULE_KINDS, type PushAction, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from './defaults.js';

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

/**
 * Splits a dot-separated property path (appendix "Dot-separated property paths"): `\.` is a
 * literal dot and `\\` a literal backslash; any other backslash stays as it is.
 */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    const next = path[i + 1];
    if (ch === '\\' && (next === '.' || next === '\\')) {
      current += next;
      i++;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** The value at a dotted path through nested objects, or undefined when any step is missing. */
export function valueAtPath(event: PushEvent, path: string): unknown {
  let value: unknown = event;
  for (const part of splitPath(path)) {
    if (!isJsonObject(value) || !hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /^[A-Za-z0-9_]$/.test(ch);

/**
 * Whether `text` holds `phrase` (taken literally) between word boundaries: the start or end of the
 * text, or a character outside `[A-Za-z0-9_]`. Case-insensitive.
 */
export function containsWords(text: string, phrase: string): boolean {
  if (phrase === '') return false;
  const haystack = text.toLowerCase();
  const needle = phrase.toLowerCase();
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (!isWordChar(haystack[at - 1]) && !isWordChar(haystack[at + needle.length])) return true;
  }
  return false;
}

/**
 * Glob matching (appendix "Glob-style matching": `*` any run of characters, `?` exactly one),
 * case-insensitive. The whole value by default; with `words`, any substring that starts and ends
 * at a word boundary, as `content.body` is matched.
 *
 * Runs the pattern as a small automaton over the value (time bounded by pattern × value length)
 * rather than as a regular expression, whose backtracking a pattern like `*a*a*a*b` could make
 * explode on a long body.
 */
export function globMatches(pattern: string, value: string, words = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return words ? containsWords(value, pattern) : pattern.toLowerCase() === value.toLowerCase();
  }
  const p = Array.from(pattern, (c) => c.toLowerCase());
  const chars = Array.from(value);
  const m = p.length;
  let active = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  // Entering a position before stars also enters the positions after them (a star may match nothing).
  const enter = (set: Uint8Array, s: number): void => {
    set[s] = 1;
    while (s < m && p[s] === '*') set[++s] = 1;
  };
  for (let i = 0; ; i++) {
    if (words ? !isWordChar(chars[i - 1]) : i === 0) enter(active, 0);
    if (active[m] === 1 && (words ? !isWordChar(chars[i]) : i === chars.length)) return true;
    if (i === chars.length) return false;
    const c = chars[i]!.toLowerCase();
    next.fill(0);
    let any = false;
    for (let s = 0; s < m; s++) {
      if (active[s] !== 1) continue;
      const want = p[s]!;
      if (want === '*') enter(next, s);
      else if (want === '?' || want === c) enter(next, s + 1);
      else continue;
      any = true;
    }
    [active, next] = [next, active];
    // A whole-value match that lost every state cannot come back; a word match may start again later.
    if (!any && !words) return false;
  }
}

/** The values `event_property_is` and `event_property_contains` compare: non-compound canonical JSON. */
function isComparable(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value));
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/;

/** `room_member_count`'s `is`: a decimal integer, optionally after `==`, `<`, `>`, `<=` or `>=`. */
export function memberCountMatches(is: string, count: number): boolean {
  const m = MEMBER_COUNT.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<':
      return count < n;
    case '>':
      return count > n;
    case '<=':
      return count <= n;
    case '>=':
      return count >= n;
    default:
      return count === n;
  }
}

function conditionHolds(c: PushCondition, event: PushEvent, ctx: PushContext): boolean {
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return false;
      const value = valueAtPath(event, c.key);
      return typeof value === 'string' && globMatches(c.pattern, value, c.key === 'content.body');
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isComparable(c.value)) return false;
      const value = valueAtPath(event, c.key);
      return isComparable(value) && value === c.value;
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isComparable(c.value)) return false;
      const value = valueAtPath(event, c.key);
      return Array.isArray(value) && value.some((v) => isComparable(v) && v === c.value);
    }
    case 'contains_display_name': {
      const body = valueAtPath(event, 'content.body');
      const name = ctx.displayName;
      return typeof body === 'string' && name !== undefined && name !== '' && containsWords(body, name);
    }
    case 'room_member_count':
      return typeof c.is === 'string' && memberCountMatches(c.is, ctx.memberCount);
    case 'sender_notification_permission': {
      const sender = event.sender;
      return typeof c.key === 'string' && typeof sender === 'string' && ctx.powerLevel(sender) >= ctx.notificationLevel(c.key);
    }
    default:
      // The spec: unrecognised conditions never match, which disables their rule.
      return false;
  }
}

function ruleMatches(kind: PushRuleKind, rule: PushRule, event: PushEvent, ctx: PushContext): boolean {
  switch (kind) {
    case 'content': {
      const body = valueAtPath(event, 'content.body');
      return typeof rule.pattern === 'string' && typeof body === 'string' && globMatches(rule.pattern, body, true);
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((c) => isJsonObject(c) && conditionHolds(c, event, ctx));
  }
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
 * or an event the user sent, means no notification. Pure: everything it reads is passed in.
 */
export function evaluatePushRules(rules: Readonly<Partial<PushRuleset>>, event: PushEvent, ctx: PushContext): PushOutcome {
  if (event.sender === ctx.userId) return NOTHING;
  const content = event.content;
  const hasMentions = isJsonObject(content) && hasOwn(content, 'm.mentions');
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of rules[kind] ?? []) {
      if (!rule.enabled) continue;
      // The deprecated body-matching rules only stand in for m.mentions where a sender has none.
      if (hasMentions && LEGACY_MENTION_RULES.has(rule.rule_id)) continue;
      if (ruleMatches(kind, rule, event, ctx)) return outcomeOf(Array.isArray(rule.actions) ? rule.actions : [], rule.rule_id, kind);
    }
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
