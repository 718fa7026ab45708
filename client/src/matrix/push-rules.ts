import type { JsonObject, MatrixEvent } from './types';

/**
 * Push rules as the spec defines them ("Push Rules"): which events notify, and which highlight.
 * The client evaluates them on decrypted events for its own notifications (the server cannot read
 * encrypted ones), and writes the per-room mute as an override rule. Pure.
 */

export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  value?: unknown;
  is?: string;
}

export interface PushRule {
  rule_id: string;
  enabled?: boolean;
  default?: boolean;
  conditions?: PushCondition[];
  pattern?: string;
  actions: unknown[];
}

export type PushKind = 'override' | 'content' | 'room' | 'sender' | 'underride';
export type PushRuleset = Partial<Record<PushKind, PushRule[]>>;

export interface PushContext {
  ownUserId: string;
  /** Our display name in the room (for the deprecated contains_display_name condition). */
  displayName: string | undefined;
  memberCount: number;
  /** The sender's power level, and the levels the room's power levels ask per notification key. */
  senderPower: number;
  notificationPowers: Record<string, number>;
}

export interface PushResult {
  notify: boolean;
  highlight: boolean;
  ruleId: string | undefined;
}

/** The rule kinds in priority order. */
const ORDER: PushKind[] = ['override', 'content', 'room', 'sender', 'underride'];

/** Splits a dot-separated property path, where `\.` is a literal dot and `\\` a backslash. */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && (path[i + 1] === '.' || path[i + 1] === '\\')) {
      cur += path[++i];
    } else if (ch === '.') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

export function valueAt(event: MatrixEvent | JsonObject, path: string): unknown {
  let v: unknown = event;
  for (const part of splitPath(path)) {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as JsonObject)[part];
  }
  return v;
}

function globToRegex(glob: string): string {
  return glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
}

/** Glob matching (`*`, `?`), case-insensitive; `words` matches any run of whole words (content.body). */
export function globMatch(pattern: string, value: string, words = false): boolean {
  const re = globToRegex(pattern);
  const full = words ? `(^|[^A-Za-z0-9_])${re}([^A-Za-z0-9_]|$)` : `^${re}$`;
  return new RegExp(full, 'is').test(value);
}

const isScalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));

function memberCountMatches(is: string, count: number): boolean {
  const m = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1] ?? '==') {
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

function conditionHolds(c: PushCondition, event: MatrixEvent, ctx: PushContext): boolean {
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return false;
      const v = valueAt(event, c.key);
      return typeof v === 'string' && globMatch(c.pattern, v, c.key === 'content.body');
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isScalar(c.value)) return false;
      const v = valueAt(event, c.key);
      return isScalar(v) && v === c.value;
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isScalar(c.value)) return false;
      const v = valueAt(event, c.key);
      return Array.isArray(v) && v.some((x) => isScalar(x) && x === c.value);
    }
    case 'contains_display_name': {
      const body = event.content.body;
      const name = ctx.displayName;
      if (typeof body !== 'string' || !name) return false;
      return new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`, 'i').test(body);
    }
    case 'room_member_count':
      return typeof c.is === 'string' && memberCountMatches(c.is, ctx.memberCount);
    case 'sender_notification_permission':
      return typeof c.key === 'string' && ctx.senderPower >= (ctx.notificationPowers[c.key] ?? 50);
    default:
      // Unknown conditions never match (the spec: the rule is effectively disabled).
      return false;
  }
}

function ruleMatches(kind: PushKind, rule: PushRule, event: MatrixEvent, ctx: PushContext): boolean {
  switch (kind) {
    case 'content':
      return typeof rule.pattern === 'string' && typeof event.content.body === 'string' && globMatch(rule.pattern, event.content.body, true);
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((c) => conditionHolds(c, event, ctx));
  }
}

function actionsResult(actions: unknown[], ruleId: string): PushResult {
  let highlight = false;
  for (const a of actions) {
    if (a && typeof a === 'object' && (a as JsonObject).set_tweak === 'highlight') highlight = (a as JsonObject).value !== false;
  }
  // dont_notify and coalesce are historical: ignored, so ["dont_notify"] means "no notification".
  return { notify: actions.includes('notify'), highlight, ruleId };
}

/** The first enabled matching rule decides; no match means no notification. Our own events never notify. */
export function evaluatePushRules(rules: PushRuleset, event: MatrixEvent, ctx: PushContext): PushResult {
  if (event.sender === ctx.ownUserId) return { notify: false, highlight: false, ruleId: undefined };
  for (const kind of ORDER) {
    for (const rule of rules[kind] ?? []) {
      if (rule.enabled === false) continue;
      if (ruleMatches(kind, rule, event, ctx)) return actionsResult(rule.actions ?? [], rule.rule_id);
    }
  }
  return { notify: false, highlight: false, ruleId: undefined };
}

/** The global ruleset of an `m.push_rules` account data event or a GET /pushrules/ answer. */
export function globalRuleset(content: JsonObject | undefined): PushRuleset | undefined {
  const global = content?.global;
  return global && typeof global === 'object' && !Array.isArray(global) ? (global as PushRuleset) : undefined;
}

/** The override rule that mutes a room (as other clients write it): nothing in the room notifies. */
export function muteRule(roomId: string): Pick<PushRule, 'conditions' | 'actions'> {
  return { conditions: [{ kind: 'event_match', key: 'room_id', pattern: roomId }], actions: [] };
}

/** Muted: an enabled override or room rule for exactly this room that does not notify. */
export function isRoomMutedByRules(rules: PushRuleset | undefined, roomId: string): boolean {
  if (!rules) return false;
  const silent = (r: PushRule): boolean => r.enabled !== false && !(r.actions ?? []).includes('notify');
  const override = (rules.override ?? []).find((r) => r.rule_id === roomId);
  if (override && silent(override)) {
    const conds = override.conditions ?? [];
    if (conds.length === 1 && conds[0]!.kind === 'event_match' && conds[0]!.key === 'room_id' && conds[0]!.pattern === roomId) return true;
  }
  const room = (rules.room ?? []).find((r) => r.rule_id === roomId);
  return room !== undefined && silent(room);
}
